"""The deliberate bugs scripts/mutants plants, one at a time, in a copy of the tree.

Each mutant names a file, one or more exact replacements (the `find` text must occur
exactly once in that file, or the mutant "no longer applies" and the run fails: update
it after the code moved), and the test filter (`swift test --filter`) that must catch it,
or instead a `command` run in the copy (the chaos run, for what only it can see).
Patterns target lines that carry meaning (a transition's WHERE, a CHECK, the credit
rounding), not incidental formatting, so they survive refactors that keep the meaning.
"""

# A short chaos run whose first cycle SIGKILLs the whole `auris up` (seed 4).
CHAOS = ["env", "CHAOS_SKIP_BUILD=1", "CHAOS_CYCLES=3", "CHAOS_SEED=4", "CHAOS_TIME_LIMIT=500", "scripts/chaos"]

MUTANTS = [
    {
        "id": "fail-posts-instead-of-voiding",
        "why": "a failed or canceled job is charged",
        "file": "Sources/Queue/JobState.swift",
        "replace": [("case .failed, .canceled: .void", "case .failed, .canceled: .post")],
        "filter": "QueueTests",
    },
    {
        "id": "transition-without-old-state",
        "why": "the one transition UPDATE does not require the old state: a finished job is claimed or settled again",
        "file": "Sources/Queue/JobQueue+Transition.swift",
        "replace": [("WHERE id = ?12 AND state = ?13 AND", "WHERE id = ?12 AND ?13 IS NOT NULL AND")],
        "filter": "QueueTests",
    },
    {
        "id": "settle-without-lease-check",
        "why": "an attempt whose lease was taken back can still settle the job",
        "file": "Sources/Queue/JobQueue+Transition.swift",
        "replace": [("(CAST(?14 AS TEXT) IS NULL OR claim_token = ?14)", "(CAST(?14 AS TEXT) IS NULL OR ?14 IS NOT NULL)")],
        "filter": "QueueTests",
    },
    {
        "id": "settle-keeps-running-count",
        "why": "settling does not take the job off its account's running count (lanes drift)",
        "file": "Sources/Queue/JobQueue+Transition.swift",
        "replace": [("runningDelta: count(.running),", "runningDelta: target == .running ? 1 : 0,")],
        "filter": "QueueTests",
    },
    {
        "id": "retry-ignores-max-attempts",
        "why": "a job that keeps failing is retried forever instead of failing",
        "file": "Sources/Queue/JobQueue+Settle.swift",
        "replace": [("guard attempt < maxAttempts else {", "guard attempt < maxAttempts + 1_000 else {")],
        "filter": "QueueTests",
    },
    {
        "id": "claim-ignores-running-limit",
        "why": "one account's jobs fill every worker (the per-account running limit is ignored)",
        "file": "Sources/Queue/Lanes.swift",
        "replace": [("WHERE queued > 0 AND next_run_at_ms <= ? AND running < ?", "WHERE queued > 0 AND next_run_at_ms <= ? AND running < ? + 1000")],
        "filter": "QueueTests",
    },
    {
        "id": "rescue-ignores-lease-expiry",
        "why": "the sweeper takes back jobs whose worker still holds a live lease",
        "file": "Sources/Queue/JobQueue+Rescue.swift",
        "replace": [("WHERE state = 'running' AND lease_expires_at_ms < ?", "WHERE state = 'running' AND ? IS NOT NULL")],
        "filter": "QueueTests",
    },
    {
        "id": "cancel-does-not-void",
        "why": "a canceled job keeps its credits held",
        "file": "Sources/Queue/JobState.swift",
        "replace": [("case .failed, .canceled: .void", "case .failed: .void\n        case .canceled: .keep")],
        "filter": "QueueTests",
    },
    {
        "id": "enqueue-without-hold",
        "why": "a job is queued without reserving its credits",
        "file": "Sources/Queue/JobQueue+Enqueue.swift",
        "replace": [("try ledger.hold(id: holdID, account: request.account, amount: request.credits, reference: id, at: now)",
                     "_ = holdID")],
        "filter": "QueueTests",
    },
    {
        "id": "enqueue-ignores-idempotency-key",
        "why": "a retried upload with the same Idempotency-Key is not recognised",
        "file": "Sources/Queue/JobQueue+Enqueue.swift",
        "replace": [("WHERE account_id = ? AND idempotency_key = ?\"", "WHERE account_id = ? AND idempotency_key = ? AND 0\"")],
        "filter": "QueueTests|APITests.IdempotencyTests",
    },
    {
        "id": "balance-check-removed",
        "why": "the database no longer refuses a user balance below zero",
        "file": "Sources/Billing/BillingMigrations.swift",
        "replace": [("CHECK (kind <> 'user' OR debits_posted + debits_pending <= credits_posted)", "CHECK (kind <> 'user' OR 1)")],
        "filter": "BillingTests",
    },
    {
        "id": "post-spends-nothing",
        "why": "capturing a hold releases the user's credits instead of spending them",
        "file": "Sources/Billing/Ledger/Ledger.swift",
        "replace": [("try move(account: hold.debit, debitsPending: -hold.amount, debitsPosted: hold.amount)",
                     "try move(account: hold.debit, debitsPending: -hold.amount)")],
        "filter": "BillingTests|QueueTests",
    },
    {
        "id": "grant-idempotency-ignored",
        "why": "the same grant id moves credits again (or fails) instead of being a no-op",
        "file": "Sources/Billing/Ledger/Ledger.swift",
        "replace": [("if let existing = try transfer(id) {", "if let existing = try transfer(id + \"#never\") {")],
        "filter": "BillingTests|PaymentsTests",
    },
    {
        "id": "credits-rounded-down",
        "why": "a started ten seconds of audio is not charged",
        "file": "Sources/Billing/CreditPricing.swift",
        "replace": [("let started = (durationMilliseconds + millisecondsPerCredit - 1) / millisecondsPerCredit",
                     "let started = durationMilliseconds / millisecondsPerCredit")],
        "filter": "BillingTests|MediaTests.CreditEdgeTests",
    },
    {
        "id": "webhook-tolerance-skipped",
        "why": "a replayed webhook signed long ago is accepted",
        "file": "Sources/Payments/WebhookSignature.swift",
        "replace": [("guard abs(nowSeconds - timestamp) <= toleranceSeconds else {", "guard abs(nowSeconds - timestamp) >= 0 else {")],
        "filter": "PaymentsTests",
    },
    {
        "id": "webhook-signature-not-compared",
        "why": "any well-formed v1 signature is accepted, signed with the secret or not",
        "file": "Sources/Payments/WebhookSignature.swift",
        "replace": [("guard signatures.contains(where: { Self.constantTimeEqual($0, expected) }) else {",
                     "guard !expected.isEmpty || signatures.contains(where: { Self.constantTimeEqual($0, expected) }) else {")],
        "filter": "PaymentsTests",
    },
    {
        "id": "webhook-fulfils-twice",
        "why": "a second paid event for a fulfilled session is applied again (only the grant id stops a double credit)",
        "file": "Sources/Payments/Payments+Webhook.swift",
        "replace": [
            ("if session.status == \"fulfilled\" { return .alreadyFulfilled }", "_ = session.status"),
            ("WHERE id = ? AND status = 'pending'", "WHERE id = ?"),
        ],
        "filter": "PaymentsTests",
    },
    {
        "id": "worker-fails-every-job",
        "why": "the pipeline fails every job (nothing charged, so the ledger stays whole)",
        "file": "Sources/Worker/JobRunner.swift",
        "replace": [("settlement = try await queue.succeed(claim)",
                     "settlement = try await queue.fail(claim, errorCode: \"mutant\", errorMessage: \"mutant\")")],
        "command": CHAOS,
    },
    {
        "id": "parent-watch-ignored",
        "why": "children of a SIGKILLed `auris up` keep running (and claiming jobs)",
        "file": "Sources/auris/Commands/ParentWatch.swift",
        "replace": [("guard ProcessInfo.processInfo.environment[environmentKey] == \"1\" else { return }",
                     "guard ProcessInfo.processInfo.environment[environmentKey] == \"never\" else { return }")],
        "command": CHAOS,
    },
    {
        "id": "stripe-scheme-changed-everywhere",
        "why": "our verifier and our fake Stripe both sign \"<t>:<body>\" (not Stripe's \"<t>.<body>\"): only an outside oracle notices",
        "file": "Sources/Payments/WebhookSignature.swift",
        "replace": [("Array(\"\\(timestamp).\".utf8) + body", "Array(\"\\(timestamp):\".utf8) + body")],
        "also": [{"file": "Tests/AurisTestSupport/FakeStripeWebhook.swift",
                  "replace": [("Array(\"\\(timestampSeconds).\".utf8) + body", "Array(\"\\(timestampSeconds):\".utf8) + body")]}],
        "filter": "PaymentsTests",
    },
    {
        "id": "stripe-scheme-changed-everywhere-oracle",
        "why": "the same bug, against the Stripe library oracle alone",
        "file": "Sources/Payments/WebhookSignature.swift",
        "replace": [("Array(\"\\(timestamp).\".utf8) + body", "Array(\"\\(timestamp):\".utf8) + body")],
        "also": [{"file": "Tests/AurisTestSupport/FakeStripeWebhook.swift",
                  "replace": [("Array(\"\\(timestampSeconds).\".utf8) + body", "Array(\"\\(timestampSeconds):\".utf8) + body")]}],
        "command": ["scripts/stripe-oracle-test", "--skip-build"],
    },
]
