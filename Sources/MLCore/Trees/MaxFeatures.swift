import Foundation

/// Features examined per split: `"sqrt"`, `"log2"`, a fraction in (0, 1], or a count > 1.
public enum MaxFeatures: Codable, Sendable, Equatable {
    case sqrt
    case log2
    case fraction(Double)
    case count(Int)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            switch text {
            case "sqrt": self = .sqrt
            case "log2": self = .log2
            default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"sqrt\", \"log2\" or a number")
            }
        } else {
            let number = try container.decode(Double.self)
            guard number > 0 else { throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be positive") }
            self = number <= 1 ? .fraction(number) : .count(Int(number))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .sqrt: try container.encode("sqrt")
        case .log2: try container.encode("log2")
        case .fraction(let value): try container.encode(value)
        case .count(let value): try container.encode(value)
        }
    }

    func resolve(_ features: Int) -> Int {
        let wanted: Int
        switch self {
        case .sqrt: wanted = Int(Double(features).squareRoot())
        case .log2: wanted = Int(Foundation.log2(Double(features)))
        case .fraction(let value): wanted = Int(value * Double(features))
        case .count(let value): wanted = value
        }
        return min(features, max(1, wanted))
    }
}
