import Billing
import Dubbing
import HTTPTypes
import Media
import Payments
import Queue

extension APIError {
    /// The one place where the modules' errors become HTTP answers
    /// (docs/ARCHITECTURE.md, "Errors"). `ErrorMappingMiddleware` applies it to whatever
    /// a handler throws, so handlers throw domain errors as they come.
    ///
    /// - Returns: nil for an error that is not the client's to see (a broken invariant,
    ///   an unknown ledger account): the middleware logs it and answers 500.
    init?(domain error: any Error) {
        switch error {
        case let error as LedgerError:
            if let shortfall = error.shortfall {
                self = .insufficientCredits(required: shortfall.required, available: shortfall.available)
            } else if let owed = error.debtCredits {
                self = APIError(
                    HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), "account_in_debt",
                    "a refunded or disputed purchase had been spent: the account owes \(owed) credits and can start no job until they are repaid",
                    details: ["debt": owed])
            } else {
                return nil
            }
        case let error as QueueError:
            if let limit = error.queuedJobsLimit {
                self = .tooManyJobs(limit: limit)
            } else if error.isIdempotencyConflict {
                self = .idempotencyConflict("this Idempotency-Key was already used for a different request")
            } else {
                return nil
            }
        case let error as MediaError:
            self = error.isNotAudio
                ? .unsupportedMedia("not audio we can read: \(error.message)")
                : .invalidAudio(error.message)
        case let error as DubbingError where error.isRequestRefusal:
            self.init(.unprocessableContent, error.code, error.message)
        case let error as PaymentsError:
            self.init(payments: error)
        case let error as AccountsError:
            if error.isEmailTaken {
                self.init(.conflict, "email_taken", "an account already signs in with this email; sign in instead")
            } else if let limit = error.keysLimit {
                self.init(.conflict, "too_many_keys", "the account already has \(limit) API keys; revoke one first", details: ["limit": Int64(limit)])
            } else {
                return nil
            }
        default:
            return nil
        }
    }

    /// The answer for each payment failure: the client's mistakes are 4xx, Stripe's
    /// trouble 502, and a webhook without its secret is payments being off.
    private init(payments error: PaymentsError) {
        switch error.code {
        case .unknownPlan: self.init(.badRequest, "unknown_plan", error.message)
        case .idempotencyConflict: self.init(.unprocessableContent, "idempotency_conflict", error.message)
        case .providerUnavailable: self.init(.badGateway, "payment_provider_unavailable", error.message)
        case .providerError: self.init(.badGateway, "payment_provider_error", error.message)
        case .webhookDisabled: self.init(.serviceUnavailable, "payments_disabled", error.message)
        // Stripe delivers again after any non-2xx answer, for up to three days.
        case .unknownPurchase: self.init(.conflict, "unknown_purchase", error.message)
        case .missingSignature, .invalidSignature, .staleSignature, .invalidEvent:
            self.init(.badRequest, error.code.description, error.message)
        default:
            self = .internalError()
        }
    }
}
