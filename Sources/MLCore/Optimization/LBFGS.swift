/// Limited-memory BFGS for smooth convex objectives (the solver scikit-learn uses for logistic
/// regression): two-loop recursion over the last `memory` steps, Armijo backtracking.
struct LBFGS {
    var memory = 10
    var maxIterations = 1000
    /// Stop when the largest absolute gradient component falls below this (scikit-learn's `tol`).
    var tolerance = 1e-4

    struct Outcome {
        var parameters: [Double]
        var iterations: Int
        var converged: Bool
        var value: Double
    }

    /// `objective(x, &gradient)` returns f(x) and writes ∇f(x).
    func minimize(start: [Double], objective: (_ x: [Double], _ gradient: inout [Double]) -> Double) -> Outcome {
        let n = start.count
        var x = start
        var gradient = [Double](repeating: 0, count: n)
        var value = objective(x, &gradient)
        var steps: [[Double]] = []
        var changes: [[Double]] = []
        var rhos: [Double] = []
        var iteration = 0
        while iteration < maxIterations {
            if gradient.reduce(0, { max($0, abs($1)) }) <= tolerance {
                return Outcome(parameters: x, iterations: iteration, converged: true, value: value)
            }
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            var direction = gradient.map { -$0 }
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in stride(from: steps.count - 1, through: 0, by: -1) {
                alphas[index] = rhos[index] * dot(steps[index], direction)
                axpy(-alphas[index], changes[index], &direction)
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                let scale = dot(lastStep, lastChange) / dot(lastChange, lastChange)
                for index in 0..<n { direction[index] *= scale }
            }
            for index in 0..<steps.count {
                let beta = rhos[index] * dot(changes[index], direction)
                axpy(alphas[index] - beta, steps[index], &direction)
            }
            var slope = dot(direction, gradient)
            if slope >= 0 {
                // Not a descent direction (curvature information went stale): restart from steepest descent.
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
                steps.removeAll()
                changes.removeAll()
                rhos.removeAll()
            }
            var stepLength = steps.isEmpty ? min(1, 1 / max(1e-12, gradient.reduce(0) { $0 + abs($1) })) : 1.0
            var candidate = x
            var candidateGradient = gradient
            var candidateValue = value
            var accepted = false
            for _ in 0..<60 {
                for index in 0..<n { candidate[index] = x[index] + stepLength * direction[index] }
                candidateValue = objective(candidate, &candidateGradient)
                if candidateValue <= value + 1e-4 * stepLength * slope { accepted = true; break }
                stepLength *= 0.5
            }
            guard accepted else { return Outcome(parameters: x, iterations: iteration, converged: false, value: value) }
            var step = [Double](repeating: 0, count: n)
            var change = [Double](repeating: 0, count: n)
            for index in 0..<n {
                step[index] = candidate[index] - x[index]
                change[index] = candidateGradient[index] - gradient[index]
            }
            let curvature = dot(step, change)
            if curvature > 1e-10 {
                if steps.count == memory {
                    steps.removeFirst()
                    changes.removeFirst()
                    rhos.removeFirst()
                }
                steps.append(step)
                changes.append(change)
                rhos.append(1 / curvature)
            }
            let improvement = value - candidateValue
            x = candidate
            gradient = candidateGradient
            value = candidateValue
            if improvement <= 1e-14 * max(abs(value), 1) && gradient.reduce(0, { max($0, abs($1)) }) <= tolerance * 10 {
                return Outcome(parameters: x, iterations: iteration, converged: true, value: value)
            }
        }
        return Outcome(parameters: x, iterations: iteration, converged: false, value: value)
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for index in a.indices { sum += a[index] * b[index] }
        return sum
    }

    private func axpy(_ factor: Double, _ x: [Double], _ y: inout [Double]) {
        for index in x.indices { y[index] += factor * x[index] }
    }
}
