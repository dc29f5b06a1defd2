import HeraldCore
import Hummingbird

/// `GET /v1/access`: what the caller's credential grants, so a client (the dashboard) can open
/// the project a key covers without being told.
struct AccessController<Context: AccessRequestContext>: Sendable {
    let authenticator: Authenticator

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("access") { _, context in
            let access = context.access
            var writer = JSONWriter()
            writer.raw("{\"caller\":")
            writer.string(access.identity)
            writer.raw(",\"role\":")
            writer.string(access.role.rawValue)
            writer.raw(",\"projects\":")
            switch access.projects {
            case .all: writer.string("*")
            case .only(let projects): writer.stringArray(projects.sorted())
            }
            writer.raw(",\"authentication\":")
            writer.raw(authenticator.isRequired ? "true" : "false")
            writer.raw("}")
            return Response.json(writer.bytes)
        }
    }
}
