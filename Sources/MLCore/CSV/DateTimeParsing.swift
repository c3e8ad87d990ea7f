/// ISO-8601-style date-times as seen in CSV exports: `2024-03-01`, `2024/03/01`,
/// `2024-03-01 12:30`, `2024-03-01T12:30:45.250Z`, `…+02:00`. Values are UTC seconds since 1970.
public enum DateTimeParsing {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var end = end
        var index = start
        while index < end, bytes[index] == 0x20 { index += 1 }
        while end > index, bytes[end - 1] == 0x20 { end -= 1 }
        guard end - index >= 10 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for offset in 0..<count {
                let byte = bytes[from + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        let separator = bytes[index + 4]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/"), bytes[index + 7] == separator,
            let year = number(index, 4), let month = number(index + 5, 2), let day = number(index + 8, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        index += 10
        var seconds = Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
        guard index < end else { return seconds }
        guard bytes[index] == UInt8(ascii: "T") || bytes[index] == 0x20, end - index >= 6,
            let hour = number(index + 1, 2), bytes[index + 3] == UInt8(ascii: ":"), let minute = number(index + 4, 2),
            hour < 24, minute < 60
        else { return nil }
        index += 6
        var second = 0.0
        if index < end, bytes[index] == UInt8(ascii: ":") {
            guard end - index >= 3, let whole = number(index + 1, 2), whole < 61 else { return nil }
            second = Double(whole)
            index += 3
            if index < end, bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let fractionStart = index
                while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    second += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
                guard index > fractionStart else { return nil }
            }
        }
        seconds += Double(hour * 3600 + minute * 60) + second
        guard index < end else { return seconds }
        if bytes[index] == UInt8(ascii: "Z"), index + 1 == end { return seconds }
        guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return nil }
        let sign = bytes[index] == UInt8(ascii: "-") ? -1.0 : 1.0
        index += 1
        guard end - index >= 2, let offsetHours = number(index, 2) else { return nil }
        index += 2
        if index < end, bytes[index] == UInt8(ascii: ":") { index += 1 }
        var offsetMinutes = 0
        if index < end {
            guard end - index == 2, let minutes = number(index, 2) else { return nil }
            offsetMinutes = minutes
        }
        return seconds - sign * Double(offsetHours * 3600 + offsetMinutes * 60)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// (year, month, day) for days since 1970-01-01.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Timestamps (seconds) whose calendar arithmetic stays within `Int`: about ±31 million
    /// years. Values from a file or a bundle outside it are clamped, never trapped on.
    public static let representable: ClosedRange<Double> = -1e15...1e15

    private static func clamped(_ seconds: Double) -> Double {
        seconds.isNaN ? 0 : min(max(seconds, representable.lowerBound), representable.upperBound)
    }

    /// Calendar parts of a timestamp, for feature expansion.
    public static func components(_ seconds: Double) -> (year: Int, month: Int, day: Int, weekday: Int, hour: Int) {
        let seconds = clamped(seconds)
        let days = Int((seconds / 86_400).rounded(.down))
        let (year, month, day) = civil(fromDays: days)
        let secondOfDay = seconds - Double(days) * 86_400
        // 1970-01-01 was a Thursday; weekday 0 = Monday.
        let weekday = ((days % 7) + 7 + 3) % 7
        return (year, month, day, weekday, Int(secondOfDay / 3600))
    }

    /// `YYYY-MM-DD` for midnight, else `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ seconds: Double) -> String {
        let seconds = clamped(seconds)
        let days = Int((seconds / 86_400).rounded(.down))
        let (year, month, day) = civil(fromDays: days)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let date = "\(year)-\(two(month))-\(two(day))"
        let secondOfDay = Int((seconds - Double(days) * 86_400).rounded())
        guard secondOfDay != 0 else { return date }
        return "\(date)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }
}
