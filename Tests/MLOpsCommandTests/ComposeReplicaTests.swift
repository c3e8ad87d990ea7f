import Foundation
import Testing

extension EdgeSuites {
    /// Prediction replicas behind nginx in the compose stack (`PREDICT_REPLICAS=3 make up`): requests
    /// spread over them, killing one under load fails no prediction (nginx retries a prediction on the
    /// next replica), and the replica started again takes traffic once nginx reloads.
    @Suite(.enabled(if: ComposeStack.current != nil && Edge.client != nil, "set MLOPSD_TEST_CONTAINER_ENGINE with a compose stack running"))
    struct ComposeReplicaTests {
        let stack: ComposeStack
        let client: HTTPTestClient
        let session: EdgeSession

        init() throws {
            stack = try #require(ComposeStack.current)
            client = try #require(Edge.client)
            session = EdgeSession(client: client)
        }

        struct Load {
            var statuses: [Int] = []
            var slowest: Duration = .zero
        }

        /// One prediction every 50 ms (the edge allows 30 a second per client), calling `during` with
        /// each request's index before sending it.
        func pacedPredictions(_ count: Int, token: String, during: (Int) throws -> Void = { _ in }) async throws -> Load {
            var load = Load()
            let clock = ContinuousClock()
            for index in 0..<count {
                try during(index)
                let started = clock.now
                let reply = try await client.json("POST", "api/v1/predict", ["features": Edge.crashesRecord], token: token)
                let took = clock.now - started
                load.statuses.append(reply.status)
                load.slowest = max(load.slowest, took)
                try await clock.sleep(until: started + .milliseconds(50))
            }
            return load
        }

        @Test func predictionsSpreadOverReplicasAndSurviveAKilledOne() async throws {
            let replicas = try stack.containers(service: "predict")
            try #require(replicas.count >= 2, "start the stack with PREDICT_REPLICAS=3; found \(replicas)")
            let admin = try await session.token("admin", try #require(Edge.adminPassword))

            // A champion of its own: this suite may run before, or beside, the end-to-end one.
            let (_, champion) = try await session.trainChampion(admin: admin, experiment: "replicas", modelTypes: ["logistic_regression"])
            #expect(try await session.predictionFrom(champion, token: admin).status == 200)
            for replica in replicas {
                try await waitUntilReady(replica)
            }

            let before = try replicas.map(stack.predictionsServed(by:))
            let spread = try await pacedPredictions(60, token: admin)
            #expect(spread.statuses.allSatisfy { $0 == 200 }, "\(spread.statuses)")
            let served = try zip(replicas, before).map { try stack.predictionsServed(by: $0) - $1 }
            #expect(served.filter { $0 > 0 }.count >= 2, "predictions per replica: \(served)")
            print("compose: 60 predictions over \(replicas.count) replicas: \(served.map { Int($0) })")

            // The replica that served most: one nginx certainly sends traffic to.
            let victim = try #require(zip(replicas, served).max { $0.1 < $1.1 }?.0)
            let underKill = try await pacedPredictions(100, token: admin) { index in
                if index == 20 { try stack.run(["kill", victim]) }
            }
            let failed = underKill.statuses.filter { $0 != 200 }
            #expect(failed.isEmpty, "predictions that failed while \(victim) was killed: \(failed)")
            print("compose: killed \(victim) after 20 of 100 predictions: \(failed.count) failed, slowest \(underKill.slowest)")

            // Started again, the replica has a new address, which nginx learns when it reloads.
            try stack.run(["start", victim])
            try await waitUntilReady(victim)
            let edge = try #require(try stack.containers(service: "nginx").first)
            try await reload(edge)
            let returned = try await pacedPredictions(30, token: admin)
            #expect(returned.statuses.allSatisfy { $0 == 200 }, "\(returned.statuses)")
            #expect(try stack.predictionsServed(by: victim) > 0, "\(victim) got no traffic after it came back")
        }

        /// `nginx -s reload` resolves every upstream first and refuses when one does not resolve,
        /// as can happen while the network's DNS takes in the container that just started.
        func reload(_ edge: String) async throws {
            for _ in 0..<50 {
                do {
                    try stack.run(["exec", edge, "nginx", "-c", "/tmp/nginx.conf", "-s", "reload"])
                    return
                } catch let failure as ComposeStack.CommandFailed where failure.output.contains("host not found") {
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            Issue.record("nginx did not reload: an upstream name stayed unresolved for 10 s")
        }

        func waitUntilReady(_ replica: String) async throws {
            var ready = (try? stack.get(replica, port: 8003, path: "/ready")) != nil
            for _ in 0..<100 where !ready {
                try await Task.sleep(for: .milliseconds(100))
                ready = (try? stack.get(replica, port: 8003, path: "/ready")) != nil
            }
            #expect(ready, "\(replica) is not ready: it loaded no champion")
        }
    }
}
