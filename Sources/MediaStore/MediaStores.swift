/// Opens the store a process is configured with.
public enum MediaStores {
    /// The store `AURIS_MEDIA_URL` names: unset or empty, the local folder in the data
    /// folder (the embedded default); `s3://…`, a bucket.
    /// - Throws: `invalid_configuration`, saying what is wrong with the URL or the `AWS_*`
    ///   variables.
    public static func open(url: String?, dataDirectory: String, environment: [String: String]) throws -> any MediaStore {
        guard let url, !url.isEmpty else { return LocalFolderMediaStore(root: dataDirectory) }
        return S3MediaStore(configuration: try MediaStoreConfiguration.parse(url: url, environment: environment))
    }
}
