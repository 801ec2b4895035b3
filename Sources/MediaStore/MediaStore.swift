public import NIOCore

/// Where uploads and results live, so that the API and workers need not share a disk:
/// a local folder for one machine, an S3-compatible bucket for several
/// (docs/ARCHITECTURE.md, "Media store"). Callers speak in keys, never in paths.
///
/// Every method throws ``MediaStoreError``.
///
/// ```swift
/// let key = try MediaKey("uploads/\(uploadID)/source")
/// try await store.put(fileAtPath: spooled, as: key, sha256Hex: digest)
/// let sizeBytes = try await store.get(key, toFileAtPath: workFolder + "/source")
/// ```
public protocol MediaStore: Sendable {
    /// Stores the file at `filePath` under `key`, replacing what was there. The store checks
    /// the bytes it received against `sha256Hex` (lowercase hex) and refuses a mismatch, so
    /// a stored object is never a torn or altered copy.
    func put(fileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws

    /// Stores a file its caller wrote and no longer needs, as `put(fileAtPath:as:sha256Hex:)`
    /// does. A store on the same disk may sync the file and rename it into place instead of
    /// copying it, trusting `sha256Hex` as the digest of what the caller wrote, since no
    /// byte moves. The caller must not use `filePath` afterwards, whether this succeeds or
    /// throws.
    func put(movingFileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws

    /// Writes the object to `filePath` (through a temporary name in the same folder, renamed
    /// once complete and its size checked) and returns its size in bytes. Nothing is left at
    /// `filePath` or beside it when this throws.
    @discardableResult
    func get(_ key: MediaKey, toFileAtPath filePath: String) async throws -> Int64

    /// Hands the object's bytes to `write` as they arrive, one chunk at a time and never
    /// more than one ahead of it, and returns how many there were. Nothing is retried
    /// once a byte has been handed over: a failure after that throws.
    /// - Throws: `not_found` when there is no object; what `write` throws, as it threw it.
    @discardableResult
    func read(_ key: MediaKey, into write: @escaping @Sendable (ByteBuffer) async throws -> Void) async throws -> Int64

    /// The object's size in bytes, or nil when there is none under `key`.
    func sizeBytes(of key: MediaKey) async throws -> Int64?

    /// Removes the object; removing one that is absent succeeds.
    func delete(_ key: MediaKey) async throws

    /// A URL that lets anyone holding it GET the object for `expiresInSeconds`, or nil when
    /// this store cannot hand out URLs (the caller streams the object instead).
    func presignedGetURL(for key: MediaKey, expiresInSeconds: Int) throws -> String?
}

extension MediaStore {
    /// A copy: stores elsewhere have no file to rename.
    public func put(movingFileAtPath filePath: String, as key: MediaKey, sha256Hex: String) async throws {
        try await put(fileAtPath: filePath, as: key, sha256Hex: sha256Hex)
    }
}
