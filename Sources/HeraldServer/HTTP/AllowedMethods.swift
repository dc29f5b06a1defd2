import Hummingbird
import Synchronization

/// Which methods each route path answers, so a known path with the wrong method gets
/// `405 Method Not Allowed` with an `Allow` header instead of the router's 404.
final class AllowedMethods: Sendable {
    private let table = Mutex<[(pattern: [Substring], methods: [String])]>([])

    /// Records the routes of a fully built router.
    func record(_ routes: [Router<HeraldRequestContext>.RouteDescription]) {
        var table: [(pattern: [Substring], methods: [String])] = []
        for route in routes {
            let pattern = route.path.description.split(separator: "/")
            if let index = table.firstIndex(where: { $0.pattern == pattern }) {
                table[index].methods.append(route.method.rawValue)
            } else {
                table.append((pattern, [route.method.rawValue]))
            }
        }
        self.table.withLock { $0 = table }
    }

    /// The methods `path` answers (empty when no route has this path).
    func methods(for path: String) -> [String] {
        let components = path.split(separator: "/")
        return table.withLock { table in
            table.filter { entry in
                entry.pattern.count == components.count
                    && zip(entry.pattern, components).allSatisfy { pattern, component in
                        pattern == component || pattern.hasPrefix("{") || pattern == "*"
                    }
            }.flatMap(\.methods)
        }
    }
}
