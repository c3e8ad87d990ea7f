import Foundation
import Kernel
import OpenAPIRuntime

/// A run as the dashboard's run page shows it, read back from whichever tracker recorded it.
extension TrainAPI {
    typealias RunDetail = Components.Schemas.RunDetail
    typealias PlotName = Components.Schemas.PlotName

    func getRun(_ input: Operations.GetRun.Input) async throws -> Operations.GetRun.Output {
        let run = try await trackedRun(input.path.runId)
        // The artifacts are small (a few KB each); absent ones are simply not listed.
        async let importance = try? tracker.downloadArtifact(runID: run.runID, path: TrainJob.importanceArtifact)
        let plots = await withTaskGroup(of: PlotName?.self) { group in
            for plot in PlotName.allCases {
                group.addTask { (try? await tracker.downloadArtifact(runID: run.runID, path: Self.artifactPath(plot))) == nil ? nil : plot }
            }
            return await group.reduce(into: Set<PlotName>()) { found, plot in plot.map { _ = found.insert($0) } }
        }
        let features = await importance.flatMap { try? JSONDecoder().decode([RunDetail.FeatureImportancePayloadPayload].self, from: $0) } ?? []
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
                        plots: PlotName.allCases.filter(plots.contains)))))
    }

    func getRunPlot(_ input: Operations.GetRunPlot.Input) async throws -> Operations.GetRunPlot.Output {
        guard let plot = PlotName(rawValue: input.path.plot) else {
            throw APIError.notFound("No plot '\(input.path.plot)'; runs draw \(PlotName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let run = try await trackedRun(input.path.runId)
        guard let svg = try? await tracker.downloadArtifact(runID: run.runID, path: Self.artifactPath(plot)) else {
            throw APIError.notFound("Run '\(run.runID)' has no \(plot.rawValue) plot")
        }
        return .ok(.init(body: .imageSvgXml(HTTPBody(svg))))
    }

    private func trackedRun(_ runID: String) async throws -> TrackedRun {
        guard let run = try await Promotion.fromTracker({ try await tracker.run(id: runID) }) else {
            throw APIError.notFound("No run '\(runID)'")
        }
        return run
    }

    private static func artifactPath(_ plot: PlotName) -> String {
        "plots/\(plot.rawValue).svg"
    }
}
