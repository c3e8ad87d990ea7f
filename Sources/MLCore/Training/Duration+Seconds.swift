extension Duration {
    /// In seconds, as fit times and search budgets are reported.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
