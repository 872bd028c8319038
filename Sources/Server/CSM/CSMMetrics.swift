import Metrics

/// The CSM's Prometheus series: the cluster as it sees it, and what clients asked of it.
struct CSMMetrics {
    private let units: Gauge
    private let channels: Gauge
    private let viewers: Gauge
    private let epoch: Gauge
    private let primary: Gauge
    let joins: Counter
    let opens: Counter
    let refusals: Counter

    init(name: String) {
        _ = Observability.registry
        let dimensions = [("csm", name)]
        units = Gauge(label: "avcluster_csm_units", dimensions: dimensions)
        channels = Gauge(label: "avcluster_csm_channels", dimensions: dimensions)
        viewers = Gauge(label: "avcluster_csm_viewers", dimensions: dimensions)
        epoch = Gauge(label: "avcluster_csm_epoch", dimensions: dimensions)
        primary = Gauge(label: "avcluster_csm_primary", dimensions: dimensions)
        joins = Counter(label: "avcluster_csm_joins_total", dimensions: dimensions)
        opens = Counter(label: "avcluster_csm_opens_total", dimensions: dimensions)
        refusals = Counter(label: "avcluster_csm_refusals_total", dimensions: dimensions)
    }

    func record(units: Int, channels: Int, viewers: Int, epoch: UInt64, primary: Bool) {
        self.units.record(units)
        self.channels.record(channels)
        self.viewers.record(viewers)
        self.epoch.record(Int64(epoch))
        self.primary.record(primary ? 1 : 0)
    }
}
