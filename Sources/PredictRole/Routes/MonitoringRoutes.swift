import Foundation
import Hummingbird
import Kernel
import MLCore

/// `/api/v1/predict/feedback`, `/performance`, `/drift` and `/traffic`: the truth for earlier
/// predictions, the live metrics it gives, how far what the models receive has moved from what
/// they learnt, and the last hour's rate and latency. Any signed-in user: the clients who predict are the ones who learn the truth.
struct MonitoringRoutes: Sendable {
    let slot: ModelSlot
    let intake: FeedbackIntake
    let performance: LivePerformance
    let driftWindow: Int
    let traffic: TrafficHistory
    let tokens: TokenCodec

    static let maximumFeedbackItems = PredictionFeedback.maximumBatch

    func install(on routes: RouterGroup<AppRequestContext>) {
        let users = routes.group().add(middleware: AuthGuard.authenticated(tokens))
        users.post("feedback", use: feedback)
        users.get("performance", use: livePerformance)
        users.get("drift", use: drift)
        users.get("traffic") { _, _ in traffic.report }
    }

    struct FeedbackResult: Encodable, ResponseEncodable {
        struct Failure: Encodable {
            var index: Int
            var details: [FieldProblem]
        }

        var accepted: Int
        var errors: [Failure]
    }

    @Sendable func feedback(request: Request, context: AppRequestContext) async throws -> FeedbackResult {
        var context = context
        // Up to 10,000 items of ~120 bytes each.
        context.bodyLimit = max(context.bodyLimit, 2 << 20)
        let (items, batch) = try FeedbackIntake.items(await request.jsonDocument(context: context), maximum: Self.maximumFeedbackItems)
        let now = Date()
        var rows: [PredictionFeedback] = []
        var failures: [FeedbackResult.Failure] = []
        for (index, item) in items.enumerated() {
            switch intake.row(item, receivedAt: now) {
            case .success(let row): rows.append(row)
            case .failure(let issues):
                let prefix = batch ? "feedback[\(index)]." : ""
                failures.append(.init(index: index, details: issues.issues.map { FieldProblem(field: prefix + $0.field, problem: $0.problem) }))
            }
        }
        if !batch, let failure = failures.first { throw APIError.validation(failure.details) }
        try await performance.store.record(rows)
        return FeedbackResult(accepted: rows.count, errors: failures)
    }

    @Sendable func livePerformance(request: Request, context: AppRequestContext) async throws -> LivePerformance.Report {
        try await performance.report(for: slot.served.all)
    }

    struct DriftAnswer: Encodable, ResponseEncodable {
        struct Entry: Encodable {
            var modelName: String
            var modelVersion: String
            var arm: String
            var reference: Bool
            var records: Int
            var driftedFeatures: [String]
            var features: [DriftMeasure]
            var prediction: DriftMeasure?

            enum CodingKeys: String, CodingKey {
                case modelName = "model_name"
                case modelVersion = "model_version"
                case arm, reference, records
                case driftedFeatures = "drifted_features"
                case features, prediction
            }
        }

        var window: Int
        var models: [Entry]
    }

    @Sendable func drift(request: Request, context: AppRequestContext) async throws -> DriftAnswer {
        let entries = slot.served.all.map { model in
            let report = model.drift?.report()
            return DriftAnswer.Entry(
                modelName: model.name, modelVersion: model.version, arm: model.arm.rawValue, reference: model.bundle.referenceProfile != nil,
                records: report?.records ?? 0, driftedFeatures: report?.driftedFeatures ?? [], features: report?.features ?? [],
                prediction: report?.prediction)
        }
        return DriftAnswer(window: driftWindow, models: entries)
    }
}
