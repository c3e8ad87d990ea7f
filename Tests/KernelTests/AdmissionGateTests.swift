import Kernel
import Testing

@Suite struct AdmissionGateTests {
    /// One running, one waiting: a third caller is refused at once, and the waiting one runs
    /// as soon as the first finishes.
    @Test func refusesBeyondRunningPlusWaiting() async throws {
        let gate = AdmissionGate(running: 1, waiting: 1)
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let (started, starter) = AsyncStream<Int>.makeStream()
        async let first: Int = gate.run {
            starter.yield(1)
            for await _ in release { break }
            return 1
        }
        var startedIterator = started.makeAsyncIterator()
        #expect(await startedIterator.next() == 1)
        async let second: Int = gate.run {
            starter.yield(2)
            return 2
        }
        // Poll until the second caller is queued: only then is the gate full.
        while await gate.waitingCount == 0 { await Task.yield() }
        await #expect(throws: AdmissionGate.Full.self) { try await gate.run { 3 } }
        releaser.yield()
        #expect(try await first == 1)
        #expect(try await second == 2)
        #expect(await startedIterator.next() == 2)
        #expect(try await gate.run { 4 } == 4)
    }
}
