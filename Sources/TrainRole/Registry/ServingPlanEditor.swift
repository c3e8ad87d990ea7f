import Foundation
import Kernel
import MLCore

/// Changes what the predict role serves beside the champion: pins registered versions, sets or
/// clears the challenger, and promotes it. Every change resolves the version in the registry,
/// checks that its bundle loads, and publishes the whole plan with the bundles it names, so a
/// replica never reads a plan whose bundle is missing. Changes in this process run one at a time
/// from reading the plan to publishing it (an actor alone would interleave them at each await);
/// two train replicas changing the plan in the same moment can still lose one change.
actor ServingPlanEditor {
    let tracker: any ExperimentTracker
    let registry: any ModelRegistry
    let champions: any ChampionStore
    let championChanges: ChampionChanges
    let maxPinned: Int

    /// The change running now; the next one waits for it.
    private var last: Task<Void, Never>?

    init(tracker: any ExperimentTracker, registry: any ModelRegistry, champions: any ChampionStore, championChanges: ChampionChanges, maxPinned: Int) {
        self.tracker = tracker
        self.registry = registry
        self.champions = champions
        self.championChanges = championChanges
        self.maxPinned = maxPinned
    }

    struct View: Encodable {
        var champion: ChampionPointer?
        var pinned: [ChampionPointer]
        var challenger: Challenger?
        var changedAt: Date?
        var changedBy: String?

        enum CodingKeys: String, CodingKey {
            case champion, pinned, challenger
            case changedAt = "changed_at"
            case changedBy = "changed_by"
        }
    }

    func view() async throws -> View {
        let plan = try await champions.plan()
        return View(
            champion: try await champions.current(), pinned: plan?.pinned ?? [], challenger: plan?.challenger,
            changedAt: plan?.changedAt, changedBy: plan?.changedBy)
    }

    func pin(name: String, version: String?, by user: String) async throws -> View {
        try await serialized { try await self.pinNow(name: name, version: version, by: user) }
    }

    private func pinNow(name: String, version: String?, by user: String) async throws -> View {
        var plan = try await champions.plan() ?? .empty
        let (pointer, bundle) = try await servable(name: name, version: version, field: "version", by: user)
        plan.pinned.removeAll { $0.modelName == pointer.modelName && $0.version == pointer.version }
        guard plan.pinned.count < maxPinned else {
            throw APIError(
                .conflict, code: "too_many_pinned",
                message: "\(plan.pinned.count) versions are pinned, as many as MLOPSD_MAX_PINNED_MODELS allows; unpin one first")
        }
        plan.pinned.append(pointer)
        try await publish(plan, bundles: [pointer.bundlePath: bundle], by: user)
        return try await view()
    }

    func unpin(name: String, version: String?, by user: String) async throws -> View {
        try await serialized { try await self.unpinNow(name: name, version: version, by: user) }
    }

    private func unpinNow(name: String, version: String?, by user: String) async throws -> View {
        var plan = try await champions.plan() ?? .empty
        let before = plan.pinned.count
        plan.pinned.removeAll { $0.modelName == name && (version == nil || $0.version == version) }
        guard plan.pinned.count < before else {
            throw APIError(
                .notFound, code: "not_found", message: "'\(name)'\(version.map { " version \($0)" } ?? "") is not pinned",
                details: [FieldProblem(field: version == nil ? "name" : "version", problem: "not pinned")])
        }
        try await publish(plan, bundles: [:], by: user)
        return try await view()
    }

    func setChallenger(name: String, version: String?, share: Double, mode: Challenger.Mode, by user: String) async throws -> View {
        try await serialized { try await self.setChallengerNow(name: name, version: version, share: share, mode: mode, by: user) }
    }

    private func setChallengerNow(name: String, version: String?, share: Double, mode: Challenger.Mode, by user: String) async throws -> View {
        guard share.isFinite, (0...1).contains(share) else { throw APIError.validation(field: "share", problem: "must be from 0 to 1") }
        var plan = try await champions.plan() ?? .empty
        let (pointer, bundle) = try await servable(name: name, version: version, field: "version", nameField: "challenger", by: user)
        plan.challenger = Challenger(model: pointer, share: mode == .canary ? share : 0, mode: mode)
        try await publish(plan, bundles: [pointer.bundlePath: bundle], by: user)
        // The tracker's own UI shows the alias; serving does not depend on it.
        try? await tracker.setAlias(modelName: pointer.modelName, alias: "challenger", version: pointer.version)
        return try await view()
    }

    func clearChallenger(by user: String) async throws -> View {
        try await serialized { try await self.clearChallengerNow(by: user) }
    }

    private func clearChallengerNow(by user: String) async throws -> View {
        var plan = try await champions.plan() ?? .empty
        guard plan.challenger != nil else { throw APIError.notFound("No challenger is set") }
        plan.challenger = nil
        try await publish(plan, bundles: [:], by: user)
        return try await view()
    }

    /// The challenger becomes the champion with the bundle every replica already holds, and the
    /// canary ends: one call, no second search of the runs.
    func promoteChallenger(by user: String) async throws -> Promotion.Outcome {
        try await serialized { try await self.promoteChallengerNow(by: user) }
    }

    private func promoteChallengerNow(by user: String) async throws -> Promotion.Outcome {
        var plan = try await champions.plan() ?? .empty
        guard let challenger = plan.challenger else { throw APIError.notFound("No challenger is set: PUT /api/v1/train/canary first") }
        let bundle = try await champions.bundle(for: challenger.model)
        let previous = try await champions.current()
        var champion = challenger.model
        champion.promotedAt = Date()
        champion.promotedBy = user
        try await champions.publish(champion, bundle: bundle)
        plan.challenger = nil
        try await publish(plan, bundles: [:], by: user)
        var trackingError: String?
        do {
            try await tracker.setAlias(modelName: champion.modelName, alias: "champion", version: champion.version)
        } catch {
            trackingError = "\(error)"
        }
        return Promotion.Outcome(champion: champion, previous: previous, candidates: 1, trackingError: trackingError)
    }

    private func serialized<Value: Sendable>(_ change: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let previous = last
        let task = Task {
            await previous?.value
            return try await change()
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }

    private func publish(_ plan: ServingPlan, bundles: [String: Data], by user: String) async throws {
        var plan = plan
        plan.changedAt = Date()
        plan.changedBy = user
        try await champions.publishPlan(plan, bundles: bundles)
        await championChanges.announce()
    }

    /// A registered version (the newest of the name when none is given) with its bundle, which
    /// must load here before any replica is asked to.
    private func servable(name: String, version: String?, field: String, nameField: String = "name", by user: String) async throws -> (ChampionPointer, Data) {
        let versions = try await registry.versions().filter { $0.name == name }
        guard let newest = versions.last else {
            throw APIError(
                .notFound, code: "not_found", message: "No registered model named '\(name)'; GET /api/v1/train/models lists them",
                details: [FieldProblem(field: nameField, problem: "not registered")])
        }
        let chosen =
            try version.map { wanted in
                guard let found = versions.first(where: { $0.version == wanted }) else {
                    throw APIError(
                        .notFound, code: "not_found",
                        message: "'\(name)' has no version \(wanted); registered: \(versions.map(\.version).joined(separator: ", "))",
                        details: [FieldProblem(field: field, problem: "not registered")])
                }
                return found
            } ?? newest
        let tracker = tracker
        let bundle = try await Promotion.fromTracker { try await Promotion.bundle(ofRun: chosen.runID, in: tracker) }
        let loaded: ModelBundle
        do {
            loaded = try ModelBundle.load(from: bundle)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_bundle", message: "The bundle of \(name) version \(chosen.version) does not load: \(error)")
        }
        let md5 = DataVersion.digest(of: bundle).md5
        let pointer = ChampionPointer(
            modelName: chosen.name, version: chosen.version, modelType: chosen.modelType, runID: chosen.runID,
            metric: Metric.default(for: loaded.task).rawValue, metrics: chosen.metrics,
            bundlePath: ChampionPointer.bundlePath(modelName: chosen.name, version: chosen.version, md5: md5),
            bundleMD5: md5, tracker: tracker.kind, promotedAt: Date(), promotedBy: user
        )
        return (pointer, bundle)
    }
}
