import HeraldCore
import HeraldServer
import HeraldTestSupport

/// API keys for tests, created in a data folder as `herald keys create` does.
enum TestKeys {
    /// Creates a key in `directory`'s store and answers its text.
    static func create(in directory: String, project: String, role: Role, name: String = "test") async throws -> String {
        let (key, token) = APIKey.generate(project: project, role: role, name: name)
        try await TestStores.withKeyStore(directory) { keys in try await keys.createKey(key) }
        return token
    }

    static func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer " + token)] }
}
