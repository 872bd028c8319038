import Client
import NIOConcurrencyHelpers

/// Every second of a load run: sends each UDP viewer's keepalive, counts stalls, and records a
/// sample of packets delivered, latency percentiles and the load client's own CPU use.
final class Sampler: Sendable {
    private struct State {
        var timeline: [LoadSample] = []
        var lastReceived = 0
        var lastLatency = LatencyHistogram()
        var lastReading: LoadClientHealth.Reading
    }

    private let viewers: [LoadViewer]
    private let started = ContinuousClock.now
    private let state: NIOLockedValueBox<State>

    init(viewers: [LoadViewer], start: LoadClientHealth.Reading) {
        self.viewers = viewers
        state = NIOLockedValueBox(State(lastReading: start))
    }

    var timeline: [LoadSample] { state.withLockedValue { $0.timeline } }

    /// Takes this second's sample; returns the progress line.
    func sample() -> String {
        let now = ContinuousClock.now
        var joined = 0, received = 0, stalled = 0
        var latency = LatencyHistogram()
        for viewer in viewers {
            viewer.keepAlive()
            viewer.record.withLockedValue { record in
                guard record.joined != nil else { return }
                record.checkStall(at: now)
                joined += 1
                received += record.delivered.received
                if record.stalled { stalled += 1 }
                latency.add(record.latency)
            }
        }
        let reading = LoadClientHealth.Reading.now
        return state.withLockedValue { state in
            let second = latency.subtracting(state.lastLatency)
            let cores = (reading.cpuSeconds - state.lastReading.cpuSeconds) / max(0.001, (reading.at - state.lastReading.at).seconds)
            let sample = LoadSample(
                second: Int((now - started).seconds.rounded()), joined: joined,
                packets: Int((Double(received - state.lastReceived) / max(0.001, (reading.at - state.lastReading.at).seconds)).rounded()),
                latencyP50Milliseconds: second.percentile(0.5), latencyP99Milliseconds: second.percentile(0.99), stalled: stalled,
                coresUsed: cores)
            state.timeline.append(sample)
            state.lastReceived = received
            state.lastLatency = latency
            state.lastReading = reading
            return "\(sample.second) s  joined \(joined)/\(viewers.count)  \(sample.packets) packets/s  latency p50 \(LoadReport.ms(sample.latencyP50Milliseconds)) p99 \(LoadReport.ms(sample.latencyP99Milliseconds))  stalled \(stalled)  load client \(LoadClientHealth.decimal(cores)) cores"
        }
    }
}
