import Foundation
import HeraldCore

/// Finding the files a ``RotatingJSONLWriter`` wrote, in the order their lines were written.
public enum JSONLFiles {
    /// The rotated files of `prefix` in `directory`, oldest first, then the live file if it exists.
    ///
    /// ```swift
    /// for path in try JSONLFiles.ordered(in: "export", prefix: "events") { … }
    /// ```
    /// Files whose names only resemble the pattern are left out.
    public static func ordered(in directory: String, prefix: String = "events") throws -> [String] {
        var paths = try rotated(in: directory, prefix: prefix).map(\.path)
        let live = directory + "/" + RotatedFileName.live(prefix: prefix)
        if FileManager.default.fileExists(atPath: live) { paths.append(live) }
        return paths
    }

    /// The `.jsonl` files in `directory` that are neither the live file nor a rotated file of
    /// `prefix`, by name: what ``ordered(in:prefix:)`` leaves out, for a warning.
    public static func unmatched(in directory: String, prefix: String = "events") throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw JSONLFileError(path: directory, message: "cannot list the folder: \(error.localizedDescription)")
        }
        return names.filter { name in
            name.hasSuffix(".jsonl") && name != RotatedFileName.live(prefix: prefix) && RotatedFileName.stamp(of: name, prefix: prefix) == nil
        }.sorted().map { directory + "/" + $0 }
    }

    /// The rotated files of `prefix` in `directory` with their stamps, oldest first.
    public static func rotated(in directory: String, prefix: String = "events") throws -> [(path: String, stamp: Timestamp)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw JSONLFileError(path: directory, message: "cannot list the folder: \(error.localizedDescription)")
        }
        return names.compactMap { name in RotatedFileName.stamp(of: name, prefix: prefix).map { (directory + "/" + name, $0) } }
            .sorted { $0.stamp < $1.stamp }
    }
}
