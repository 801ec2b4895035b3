import Testing

@testable import MediaStore

@Suite struct MediaStoreConfigurationTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": secret]

    @Test func endpointMeansPathStyle() throws {
        let configuration = try MediaStoreConfiguration.parse(
            url: "s3://auris-media/prod/media?endpoint=http://127.0.0.1:9000&region=eu-west-3",
            environment: Self.environment.merging(["AWS_SESSION_TOKEN": "token"]) { $1 })
        #expect(configuration.scheme == "http")
        #expect(configuration.host == "127.0.0.1:9000")
        #expect(configuration.region == "eu-west-3")
        #expect(configuration.pathSegments(for: try MediaKey("uploads/a/source")) == ["auris-media", "prod", "media", "uploads", "a", "source"])
        #expect(configuration.credentials.sessionToken == "token")
    }

    @Test func noEndpointMeansAWSVirtualHostStyle() throws {
        let configuration = try MediaStoreConfiguration.parse(url: "s3://auris-media", environment: Self.environment)
        #expect(configuration.scheme == "https")
        #expect(configuration.host == "auris-media.s3.us-east-1.amazonaws.com")
        #expect(configuration.pathSegments(for: try MediaKey("results/j/dubbed.mp3")) == ["results", "j", "dubbed.mp3"])
    }

    @Test func theSchemesDefaultPortIsNotInTheHostHeader() throws {
        let configuration = try MediaStoreConfiguration.parse(
            url: "s3://bucket?endpoint=https://minio.internal:443", environment: Self.environment)
        #expect(configuration.host == "minio.internal")
    }

    @Test(arguments: [
        ("http://bucket/prefix", "s3://"),
        ("s3://Bucket_Name/x", "bucket"),
        ("s3://ab", "bucket"),
        ("s3://bucket/x?endpoint=ftp://host", "endpoint"),
        ("s3://bucket/x?endpoint=http://host:9000/path", "endpoint"),
        ("s3://bucket/x?regoin=us-east-1", "unknown option \"regoin\""),
        ("s3://bucket/x?region=US%20East", "region"),
        ("s3://bucket/a/../b", "prefix"),
        ("s3://AKID:hunter2@bucket/x", "must not carry credentials"),
    ])
    func refusesABadURLAndSaysWhy(url: String, said: String) {
        #expect {
            try MediaStoreConfiguration.parse(url: url, environment: Self.environment)
        } throws: { error in
            let error = error as? MediaStoreError
            return error?.code == "invalid_configuration" && error!.message.contains(said)
                && !error!.description.contains(Self.secret)
        }
    }

    @Test(arguments: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    func namesTheMissingVariable(_ variable: String) {
        var environment = Self.environment
        environment[variable] = ""
        #expect {
            try MediaStoreConfiguration.parse(url: "s3://bucket", environment: environment)
        } throws: { error in
            (error as? MediaStoreError)?.message.contains(variable) == true
        }
    }

    @Test func descriptionsNeverShowTheSecret() throws {
        let configuration = try MediaStoreConfiguration.parse(
            url: "s3://bucket/p?endpoint=http://127.0.0.1:9000",
            environment: Self.environment.merging(["AWS_SESSION_TOKEN": "session-token-value"]) { $1 })
        for text in ["\(configuration)", "\(configuration.credentials)", String(reflecting: configuration.credentials)] {
            #expect(text.contains("AKIDEXAMPLE"))
            #expect(!text.contains(Self.secret))
            #expect(!text.contains("session-token-value"))
        }
    }
}
