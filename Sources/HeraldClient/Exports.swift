// The event model (levels, filters, ids, JSON values) is part of the client's API: one
// `import HeraldClient` is all a producer or subscriber needs.
@_exported import HeraldCore
