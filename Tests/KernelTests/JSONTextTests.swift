import Foundation
import Kernel
import NIOCore
import Testing

@Suite struct JSONTextTests {
    @Test func parserAgreesWithFoundationOnValidDocuments() throws {
        let documents = [
            #"{"a": 1, "b": [true, false, null], "c": {"d": "e"}}"#,
            #"{"number": -12.5e-3, "big": 12345678901234567890, "zero": 0, "negative": -7, "exp": 1E+2}"#,
            #"["\u00e9\ud83d\ude00", "tab\there", "quote\"slash\/back\\", "line\nfeed", "ünïcödé"]"#,
            #"  {"features": {"age": 42, "sex": "f", "airbag": null}, "model_name": "m"}  "#,
            "[]", "{}", "0", "\"text\"",
        ]
        for text in documents {
            let ours = try JSONParser.parse(text)
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(ours == foundation, "\(text)")
        }
    }

    @Test func parserRefusesInvalidDocumentsNamingTheByte() {
        let cases: [(String, Int)] = [
            ("", 0), ("{", 1), (#"{"a" 1}"#, 5), (#"{"a": 1,}"#, 8), ("[1 2]", 3), ("01", 1), ("1.", 2), ("-", 1),
            (#"{"a": tru}"#, 6), (#""\ud800""#, 7), ("\"a\u{01}\"", 2), (#""\x""#, 3), ("[1] x", 4), ("1e999", 0),
        ]
        for (text, offset) in cases {
            #expect(throws: JSONParser.SyntaxError.self, "\(text)") { try JSONParser.parse(text) }
            do {
                _ = try JSONParser.parse(text)
            } catch {
                #expect(error.offset == offset, "\(text): \(error)")
            }
        }
        let invalidUTF8 = ByteBuffer(bytes: [UInt8(ascii: "\""), 0xFF, UInt8(ascii: "\"")])
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(invalidUTF8) }
    }

    @Test func parserBoundsNesting() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(deep) }
        let allowed = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser.parse(allowed)
    }

    @Test func writerOutputReadsBackAndMatchesJSONEncoder() throws {
        let value: JSONValue = [
            "text": "quote \" backslash \\ newline \n control \u{01} slash / é",
            "numbers": [0, -1, 1.5, 1e-7, 123456789012, 0.1],
            "nested": ["flag": true, "nothing": nil],
        ]
        let text = value.jsonString()
        #expect(try JSONParser.parse(text) == value)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let foundation = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
        #expect(try JSONParser.parse(text) == foundation)
        #expect(text.hasPrefix(#"{"nested":{"flag":true,"nothing":null},"numbers":[0,-1,1.5,"#))
        #expect(JSONValue.number(.nan).jsonString() == "null")
    }

    @Test func timestampsAreRFC3339InUTC() {
        let date = Date(timeIntervalSince1970: 1_795_800_335.123_9)  // 2026-11-27T17:25:35.123Z
        #expect(ISO8601Timestamp.string(date) == "2026-11-27T17:25:35Z")
        #expect(ISO8601Timestamp.string(date, milliseconds: true) == "2026-11-27T17:25:35.123Z")
        #expect(ISO8601Timestamp.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        let formatted = Date.ISO8601FormatStyle().format(date)
        #expect(ISO8601Timestamp.string(date) == formatted)
    }
}
