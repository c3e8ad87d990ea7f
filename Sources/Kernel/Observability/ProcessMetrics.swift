import Foundation
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// The process's CPU time, resident memory and open files under the names Prometheus' own
/// clients give them, so stock dashboards and alerts find them. Read from `/proc` when
/// `/metrics` is scraped; elsewhere they stay at zero.
struct ProcessMetrics: Sendable {
    let cpuSeconds: Gauge
    let residentBytes: Gauge
    let openFiles: Gauge
    let startTime: Gauge

    init(registry: PrometheusCollectorRegistry, startedAt: Date = Date()) {
        cpuSeconds = registry.makeGauge(
            descriptor: .init(metricName: "process_cpu_seconds", unitName: "total", helpText: "User and system CPU time spent, in seconds"))
        residentBytes = registry.makeGauge(
            descriptor: .init(metricName: "process_resident_memory", unitName: "bytes", helpText: "Resident memory size, in bytes"))
        openFiles = registry.makeGauge(descriptor: .init(metricName: "process_open_fds", unitName: "", helpText: "Open file descriptors"))
        startTime = registry.makeGauge(
            descriptor: .init(metricName: "process_start_time", unitName: "seconds", helpText: "Start time of the process since the epoch, in seconds"))
        startTime.set(startedAt.timeIntervalSince1970)
    }

    func refresh() {
        #if canImport(Glibc)
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            // Fields 14 and 15 of /proc/self/stat, counted after the command name's closing
            // parenthesis (the name itself may hold spaces).
            if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")"), ticks > 0 {
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                    cpuSeconds.set((user + system) / ticks)
                }
            }
            if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
                let fields = statm.split(separator: " ")
                if fields.count > 1, let pages = Double(fields[1]) { residentBytes.set(pages * Double(sysconf(Int32(_SC_PAGESIZE)))) }
            }
            if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
                openFiles.set(Double(descriptors.count))
            }
        #endif
    }
}
