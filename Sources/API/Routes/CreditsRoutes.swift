import Billing
import Hummingbird

/// `GET /api/credits` and `GET /api/plans`.
struct CreditsRoutes: Sendable {
    let accounts: Accounts

    func credits(_ request: Request, context: AurisRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let (balance, history) = try await accounts.statement(of: account, historyLimit: 100)
        return try JSONResponse.make([
            "ok": .bool(true),
            "credits": .integer(balance.available),
            "held": .integer(balance.held),
            "debt": .integer(balance.debt),
            "received": .integer(balance.received),
            "spent": .integer(balance.spent),
            "history": .array(history.map { movement in
                .object([
                    "id": .string(movement.transferID),
                    "reason": .string(movement.reason.rawValue),
                    "change": .integer(movement.availableChange),
                    "amount": .integer(movement.amount),
                    "note": .optional(movement.note),
                    "job_id": movement.reason == .purchase ? .null : .optional(movement.reference),
                    "created_at": .string(JobView.timestamp(movement.createdAtMilliseconds)),
                ])
            }),
        ])
    }

    func plans(_ request: Request, context: AurisRequestContext) async throws -> Response {
        try JSONResponse.make([
            "ok": .bool(true),
            "plans": .array(Plans.all.map { plan in
                .object([
                    "id": .string(plan.id),
                    "name": .string(plan.name),
                    "price_cents": .integer(plan.priceCents),
                    "currency": .string(plan.currency),
                    "credits": .integer(plan.credits),
                    "price_per_credit_cents": .double(Double(plan.pricePerCreditMillicents) / 1_000),
                    "saving_percent": .integer(Plans.savingPercent(of: plan)),
                    "popular": .bool(plan.popular),
                ])
            }),
        ])
    }
}
