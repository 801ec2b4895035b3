import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Ends a child of `auris up` when `up` dies, even by SIGKILL: `up` gives each child a
/// pipe as standard input and never writes to it; the kernel closes it when `up` dies,
/// the child reads end-of-file and shuts itself down gracefully (SIGTERM to itself).
enum ParentWatch {
    static let environmentKey = "AURIS_SUPERVISED"

    static func startIfSupervised(logger: Logger) {
        guard ProcessInfo.processInfo.environment[environmentKey] == "1" else { return }
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(STDIN_FILENO, &byte, 1)
                if count == 0 || (count < 0 && errno != EINTR) { break }
            }
            logger.warning("auris up is gone; shutting down")
            kill(getpid(), SIGTERM)
            // If the graceful shutdown hangs, do not outlive the supervisor for long.
            sleep(60)
            exit(1)
        }
        thread.name = "auris.parent-watch"
        thread.start()
    }
}
