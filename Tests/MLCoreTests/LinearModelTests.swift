import MLCore
import Testing

/// Reference values from scikit-learn 1.9.1 (tol=1e-8) on these exact inputs.
@Suite struct LinearModelTests {
    let features = FeatureMatrix(
        rows: 8, columns: 2,
        values: [0.5, 1.0, 1.5, -0.5, -1.0, 0.3, 2.0, 2.0, -0.7, -1.2, 0.1, 0.4, 1.1, -1.5, -1.8, 0.9],
        names: ["a", "b"]
    )
    let weights = [1, 2, 1, 1, 3, 1, 1, 0.5]

    func close(_ lhs: [Double], _ rhs: [Double], _ tolerance: Double = 1e-4) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func binaryLogisticMatchesScikitLearn() throws {
        let targets = Targets(task: .classification, values: [1, 1, 0, 1, 0, 0, 1, 0], labels: ["n", "y"])
        var model = LogisticRegression(parameters: .init(tolerance: 1e-8))
        try model.fit(features, targets, weights: nil)
        #expect(close(model.coefficients, [1.3017661439327195, 0.055451172387820075]))
        #expect(close(model.intercepts, [-0.3117070823108891]))
        #expect(model.converged)

        var weighted = LogisticRegression(parameters: .init(c: 0.5, tolerance: 1e-8))
        try weighted.fit(features, targets, weights: weights)
        #expect(close(weighted.coefficients, [1.0928608330948144, 0.16417458381765837]))
        #expect(close(weighted.intercepts, [-0.3583730385016271]))
    }

    @Test func multinomialLogisticMatchesScikitLearn() throws {
        let targets = Targets(task: .classification, values: [0, 1, 2, 1, 0, 2, 1, 0], labels: ["a", "b", "c"])
        var model = LogisticRegression(parameters: .init(tolerance: 1e-8))
        try model.fit(features, targets, weights: nil)
        #expect(
            close(
                model.coefficients,
                [
                    -0.6259641637897722, 0.09475394188604543, 1.0604448530085049, -0.26139208111866524, -0.43448068921873256, 0.16663813923261983,
                ]))
        #expect(close(model.intercepts, [0.36360560315905427, -0.37179376633582484, 0.008188163176770447]))
        let probabilities = try #require(model.predictProbabilities(features))
        #expect(close(probabilities[0], [0.38330603136641433, 0.2990147261542524, 0.3176792424793334]))
        #expect(close(probabilities[1], [0.11003278927518552, 0.790816197017056, 0.09915101370775863]))
        for row in probabilities { #expect(abs(row.reduce(0, +) - 1) < 1e-12) }
    }

    @Test func ordinaryLeastSquaresAndRidgeMatchClosedForms() throws {
        let targets = Targets(task: .regression, values: [1.0, 2.5, -0.3, 4.1, -1.0, 0.7, 1.2, -0.9], labels: [])
        var ols = LinearRegression()
        try ols.fit(features, targets, weights: nil)
        #expect(close(ols.coefficients, [1.2039550689913912, 0.46483693079385574], 1e-10))
        #expect(abs(ols.intercept - 0.5753130849504046) < 1e-10)

        var ridge = LinearRegression(parameters: .init(alpha: 2))
        try ridge.fit(features, targets, weights: nil)
        #expect(close(ridge.coefficients, [1.0367382114422157, 0.39659609645047295], 1e-10))
        #expect(abs(ridge.intercept - 0.6227888131896964) < 1e-10)

        // Weights change the fit exactly as scikit-learn's sample_weight does.
        var weighted = LinearRegression(parameters: .init(alpha: 2))
        try weighted.fit(features, targets, weights: weights)
        #expect(close(weighted.coefficients, [1.1242679202373949, 0.4250862180556376], 1e-10))
        #expect(abs(weighted.intercept - 0.5755614038635739) < 1e-10)
    }

    @Test func collinearOneHotColumnsStillFit() throws {
        // Two complementary 0/1 columns are collinear with the intercept.
        let features = FeatureMatrix(rows: 4, columns: 2, values: [1, 0, 0, 1, 1, 0, 0, 1], names: ["x=a", "x=b"])
        let targets = Targets(task: .regression, values: [2, 5, 2, 5], labels: [])
        var model = LinearRegression()
        try model.fit(features, targets, weights: nil)
        let predictions = model.predict(features)
        #expect(zip(predictions, [2.0, 5, 2, 5]).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func wrongTargetsAreRefused() {
        var logistic = LogisticRegression()
        #expect(throws: ModelError.self) {
            try logistic.fit(features, Targets(task: .regression, values: Array(repeating: 1, count: 8), labels: []), weights: nil)
        }
        var linear = LinearRegression(parameters: .init(alpha: -1))
        #expect(throws: ModelError.invalidParameter(name: "alpha", problem: "must be ≥ 0")) {
            try linear.fit(features, Targets(task: .regression, values: Array(repeating: 1, count: 8), labels: []), weights: nil)
        }
    }
}
