import Foundation

/// The Python venv that scripts/setup makes (`.venv-moto`, with moto and botocore): the
/// reference signer and the S3 server of these tests. When it is missing the tests fail
/// with this message; they never skip.
enum MotoVenv {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    struct Missing: Error, CustomStringConvertible {
        let python: String
        var description: String { "\(python) is missing: run scripts/setup, which makes .venv-moto with moto[server]" }
    }

    /// The venv's python, or an error that says how to make it.
    static func python() throws -> String {
        let python = ProcessInfo.processInfo.environment["AURIS_MOTO_PYTHON"] ?? "\(repositoryRoot)/.venv-moto/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw Missing(python: python) }
        return python
    }

    static func script(_ name: String) -> String {
        "\(repositoryRoot)/scripts/lib/\(name)"
    }
}
