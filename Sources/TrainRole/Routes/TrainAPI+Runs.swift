import Foundation
import Kernel
import OpenAPIRuntime

/// A run as the dashboard's run page shows it, read back from whichever tracker recorded it. An
/// artifact the run does not have is an answer; the tracker failing is a 502.
extension TrainAPI {
    typealias RunDetail = Components.Schemas.RunDetail
    typealias PlotName = Components.Schemas.PlotName

    func getRun(_ input: Operations.GetRun.Input) async throws -> Operations.GetRun.Output {
        let run = try await trackedRun(input.path.runId)
        let plots = try await plotNames(of: run)
        // Trials of a search and runs that report no importances have none.
        let importance = try await artifact(TrainJob.importanceArtifact, of: run)
        let features = try importance.map { try JSONDecoder().decode([RunDetail.FeatureImportancePayloadPayload].self, from: $0) } ?? []
        return .ok(
            .init(
                body: .json(
                    RunDetail(
                        runId: run.runID, experimentId: run.experimentID, name: run.name,
                        status: RunDetail.StatusPayload(rawValue: run.status.rawValue) ?? .failed,
                        startTime: run.startTime, endTime: run.endTime,
                        params: .init(additionalProperties: run.params), metrics: .init(additionalProperties: run.metrics),
                        tags: .init(additionalProperties: run.tags),
                        featureImportance: features.sorted { $0.importance > $1.importance },
                        plots: plots))))
    }

    func getRunPlot(_ input: Operations.GetRunPlot.Input) async throws -> Operations.GetRunPlot.Output {
        guard let plot = PlotName(rawValue: input.path.plot) else {
            throw APIError.notFound("No plot '\(input.path.plot)'; runs draw \(PlotName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let run = try await trackedRun(input.path.runId)
        guard let svg = try await artifact(Self.artifactPath(plot), of: run) else {
            throw APIError.notFound("Run '\(run.runID)' has no \(plot.rawValue) plot")
        }
        return .ok(.init(body: .imageSvgXml(HTTPBody(svg))))
    }

    /// Run ids are hex (MLflow's and ours); anything else names no run and never reaches the tracker.
    private func trackedRun(_ runID: String) async throws -> TrackedRun {
        let wellFormed = (1...64).contains(runID.count) && runID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        guard wellFormed, let run = try await Promotion.fromTracker({ try await tracker.run(id: runID) }) else {
            throw APIError.notFound("No run '\(runID)'")
        }
        return run
    }

    /// The plots the run drew, as its tag records them; runs from before the tag are asked for
    /// each plot in turn.
    private func plotNames(of run: TrackedRun) async throws -> [PlotName] {
        if let tagged = run.tags[TrainJob.plotsTag] {
            return tagged.split(separator: ",").compactMap { PlotName(rawValue: String($0)) }
        }
        var found: [PlotName] = []
        for plot in PlotName.allCases where try await artifact(Self.artifactPath(plot), of: run) != nil {
            found.append(plot)
        }
        return found
    }

    private func artifact(_ path: String, of run: TrackedRun) async throws -> Data? {
        try await Promotion.fromTracker {
            do {
                return try await tracker.downloadArtifact(runID: run.runID, path: path)
            } catch is MissingArtifact {
                return nil
            }
        }
    }

    private static func artifactPath(_ plot: PlotName) -> String {
        "plots/\(plot.rawValue).svg"
    }
}
