public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for tests and scripts that drive a running Auris over its API.
public struct APIClient: Sendable {
    public let baseURL: String
    public let apiKey: String?

    public init(baseURL: String, apiKey: String?) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    public func get(_ path: String) async throws -> (Int, Data) {
        try await send(method: "GET", path: path, body: nil, contentType: nil)
    }

    public func delete(_ path: String) async throws -> (Int, Data) {
        try await send(method: "DELETE", path: path, body: nil, contentType: nil)
    }

    /// `GET` returning the JSON object.
    public func getJSON(_ path: String) async throws -> (Int, [String: Any]) {
        let (status, data) = try await get(path)
        return (status, (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    /// Uploads a file as `multipart/form-data` to `POST /api/dub`.
    public func dub(
        file: String, fields: [String: String], subtitles: String? = nil, idempotencyKey: String? = nil
    ) async throws -> (Int, [String: Any]) {
        let boundary = "auris-test-\(UUID().uuidString)"
        var body = Data()
        func part(_ name: String, filename: String?, contentType: String?, data: Data) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"".utf8))
            if let filename { body.append(Data("; filename=\"\(filename)\"".utf8)) }
            body.append(Data("\r\n".utf8))
            if let contentType { body.append(Data("Content-Type: \(contentType)\r\n".utf8)) }
            body.append(Data("\r\n".utf8))
            body.append(data)
            body.append(Data("\r\n".utf8))
        }
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            part(name, filename: nil, contentType: nil, data: Data(value.utf8))
        }
        part("file", filename: (file as NSString).lastPathComponent, contentType: "application/octet-stream",
             data: try Data(contentsOf: URL(fileURLWithPath: file)))
        if let subtitles {
            part("subtitles", filename: "subtitles.srt", contentType: "text/plain",
                 data: try Data(contentsOf: URL(fileURLWithPath: subtitles)))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        var headers: [String: String] = [:]
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        let (status, data) = try await send(
            method: "POST", path: "/api/dub", body: body, contentType: "multipart/form-data; boundary=\(boundary)",
            headers: headers)
        return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    /// Polls a job until it is finished and returns its status; throws when the time is
    /// up first, naming the job and what it last said.
    public func waitForJob(_ id: String, timeoutSeconds: Double = 120) async throws -> [String: Any] {
        try await poll("job \(id) to finish", id: id, timeoutSeconds: timeoutSeconds, every: .milliseconds(200)) { job in
            guard let status = job["status"] as? String else { return false }
            return ["succeeded", "failed", "canceled"].contains(status)
        }
    }

    /// Polls a job until it reports `stage` and returns its status; throws when the time
    /// is up first (a wait that passes silently would let a test go on with a job no
    /// worker ever claimed).
    @discardableResult
    public func waitForStage(_ id: String, _ stage: String, timeoutSeconds: Double = 60) async throws -> [String: Any] {
        try await poll("job \(id) to reach stage \(stage)", id: id, timeoutSeconds: timeoutSeconds, every: .milliseconds(100)) { job in
            job["stage"] as? String == stage
        }
    }

    private func poll(
        _ what: String, id: String, timeoutSeconds: Double, every interval: Duration, until done: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        try await waitUntil("\(what) (it last said \(last))", timeoutSeconds: timeoutSeconds, every: interval) {
            last = try await getJSON("/api/dub/\(id)").1
            return done(last)
        }
        return last
    }

    public func send(
        method: String, path: String, body: Data?, contentType: String?, headers: [String: String] = [:]
    ) async throws -> (Int, Data) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
