import Foundation
import HeraldCore
import Hummingbird
import HTTPTypes

/// Files served as they are, by name: the copies compiled into the binary, or those of a folder
/// an environment variable names, read once at start (to work on the files without rebuilding:
/// edit, restart, reload the page).
struct ServedFiles: Sendable {
    struct File: Sendable {
        let bytes: ByteBuffer
        let contentType: String
    }

    /// A file's compiled-in bytes (`PackageResources.<file_name>`) and its content type.
    typealias Embedded = (bytes: [UInt8], contentType: String)

    /// What the files are, for the answer to a name that is not one of them ("dashboard").
    let kind: String
    /// The files by name.
    let files: [String: File]

    /// - Parameters:
    ///   - kind: what the files are, for error messages.
    ///   - embedded: each file's compiled-in bytes and content type; only these names are served.
    ///   - folder: when set, the files are read from this folder instead (a name it lacks answers 404).
    init(_ kind: String, embedded: [String: Embedded], folder: String?) {
        self.kind = kind
        var files: [String: File] = [:]
        for (name, file) in embedded {
            if let folder, !folder.isEmpty {
                guard let data = FileManager.default.contents(atPath: URL(fileURLWithPath: folder).appendingPathComponent(name).path) else {
                    continue
                }
                files[name] = File(bytes: ByteBuffer(bytes: data), contentType: file.contentType)
            } else {
                files[name] = File(bytes: ByteBuffer(bytes: file.bytes), contentType: file.contentType)
            }
        }
        self.files = files
    }

    func serve(_ name: String) throws -> Response {
        guard let file = files[name] else { throw HeraldError(.notFound, "no \(kind) file \(name)") }
        return Response(
            status: .ok,
            headers: [.contentType: file.contentType, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: .init(byteBuffer: file.bytes)
        )
    }
}
