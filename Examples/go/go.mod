module github.com/herald/herald/examples/go

go 1.19

require github.com/herald/herald/clients/go v0.0.0

// Until the client is published, it is used from this checkout.
replace github.com/herald/herald/clients/go => ../../clients/go
