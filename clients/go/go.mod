module github.com/herald/herald/clients/go

go 1.19
