import Foundation
import MLCore
import Testing

@Suite struct FeaturePipelineTests {
    static let train = try! CSVReader.read(
        string: """
            age,city,member,joined,y
            10,Paris,true,2024-01-01,a
            20,Paris,false,2024-01-02T06:00:00Z,b
            ,Lyon,true,2024-02-03,a
            40,Paris,,2024-03-04,b
            30,Nice,false,,a

            """)

    @Test func statisticsComeFromTrainingOnly() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y", options: FeatureOptions(scale: false, missingIndicators: true))
        guard case .numeric(let age) = pipeline.transforms[0] else { Issue.record("age is not numeric"); return }
        #expect(age.fill == 25)  // median of 10, 20, 40, 30
        #expect(age.indicator)
        // A test table with very different values changes nothing that was fitted.
        let test = try CSVReader.read(string: "age,city,member,joined,y\n1000,Rome,true,2030-01-01,a\n,Paris,false,2024-01-01,b\n")
        let before = pipeline
        let features = try pipeline.transform(test)
        #expect(pipeline == before)
        #expect(features[1, 0] == 25)  // imputed with the training median
        #expect(features[1, 1] == 1)  // missing indicator
        #expect(features[0, 0] == 1000)
    }

    @Test func oneHotWithInfrequentBucketAndUnknownCategories() throws {
        let options = FeatureOptions(scale: false, maxCategories: 1, expandDateTime: false)
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y", options: options)
        #expect(pipeline.featureNames == ["age", "city=Paris", "city=__infrequent__", "member", "joined"])
        let test = try CSVReader.read(string: "age,city,member,joined,y\n1,Lyon,true,2024-01-01,a\n1,Rome,true,2024-01-01,a\n1,,true,2024-01-01,a\n")
        let features = try pipeline.transform(test)
        #expect(Array(features.row(0))[1...2] == [0, 1])  // Lyon: seen in training, but rare
        #expect(Array(features.row(1))[1...2] == [0, 0])  // Rome: never seen → all zeros
        #expect(Array(features.row(2))[1...2] == [1, 0])  // missing → most frequent (Paris)
    }

    @Test func ordinalCodesForTrees() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y", options: .trees)
        let test = try CSVReader.read(string: "age,city,member,joined,y\n1,Paris,true,2024-01-01,a\n1,Nice,true,2024-01-01,a\n1,Rome,true,2024-01-01,a\n")
        let column = try #require(pipeline.featureNames.firstIndex(of: "city"))
        let features = try pipeline.transform(test)
        #expect(features[0, column] == 2)  // Lyon, Nice, Paris: sorted order
        #expect(features[1, column] == 1)
        #expect(features[2, column] == -1)
    }

    @Test func dateTimeExpansion() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y", options: FeatureOptions(scale: false))
        let names = pipeline.featureNames.filter { $0.hasPrefix("joined__") }
        #expect(names.count == 10)
        let features = try pipeline.transform(Self.train)
        let year = try #require(pipeline.featureNames.firstIndex(of: "joined__year"))
        // 2024-01-02 was a Tuesday (weekday 1, Monday = 0), 06:00.
        #expect(Array(features.row(1))[year..<(year + 4)] == [2024, 1, 1, 6])
        let hourSin = try #require(pipeline.featureNames.firstIndex(of: "joined__hour_sin"))
        #expect(abs(features[1, hourSin] - 1) < 1e-12)  // sin(2π · 6/24)
    }

    @Test func scalingIsStandardOnTrain() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y")
        let features = try pipeline.transform(Self.train)
        let age = try #require(pipeline.featureNames.firstIndex(of: "age"))
        let column = (0..<features.rows).map { features[$0, age] }
        let mean = column.reduce(0, +) / Double(column.count)
        let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count)
        #expect(abs(mean) < 1e-12)
        #expect(abs(variance - 1) < 1e-12)
        // One-hot columns stay 0/1.
        let paris = try #require(pipeline.featureNames.firstIndex(of: "city=Paris"))
        #expect(Set((0..<features.rows).map { features[$0, paris] }) == [0, 1])
    }

    @Test func recordsAreValidatedFieldByField() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y", options: FeatureOptions(scale: false, expandDateTime: false))
        let good: [String: RawValue] = [
            "age": .number(30), "city": .string("Nice"), "member": .bool(true), "joined": .string("2024-03-01"), "extra": .number(1),
        ]
        let transformed = try pipeline.transform(record: good).get()
        #expect(transformed.unknownFields == ["extra"])
        #expect(transformed.features == (try pipeline.transform(CSVReader.read(string: "age,city,member,joined,y\n30,Nice,true,2024-03-01,a\n"))).values)

        let bad: [String: RawValue] = ["age": .string("old"), "member": .number(2), "joined": .number(.nan), "city": .null]
        guard case .failure(let problems) = pipeline.transform(record: bad) else { Issue.record("bad record accepted"); return }
        #expect(
            problems.issues == [
                FieldIssue(field: "age", problem: "expected a number"),
                FieldIssue(field: "city", problem: "must not be null"),
                FieldIssue(field: "member", problem: "expected true or false"),
                FieldIssue(field: "joined", problem: "expected a date-time"),
            ])
        // `city` had no missing values in training, so null is refused; a missing key is refused too.
        guard case .failure(let nulls) = pipeline.transform(record: ["age": .null, "city": .null, "member": .null]) else { Issue.record("accepted"); return }
        #expect(
            nulls.issues == [
                FieldIssue(field: "city", problem: "must not be null"),
                FieldIssue(field: "joined", problem: "required field is missing"),
            ])
    }

    @Test func pipelineSerialises() throws {
        let pipeline = try FeaturePipeline.fit(Self.train, target: "y")
        let data = try JSONEncoder().encode(pipeline)
        #expect(try JSONDecoder().decode(FeaturePipeline.self, from: data) == pipeline)
    }
}

@Suite struct ImbalanceTests {
    func imbalanced() -> (FeatureMatrix, Targets) {
        var values: [Double] = []
        var labels: [Double] = []
        for index in 0..<40 {
            values += [Double(index), Double(index % 7)]
            labels.append(0)
        }
        for index in 0..<8 {
            values += [100 + Double(index), 50 + Double(index)]
            labels.append(1)
        }
        return (
            FeatureMatrix(rows: 48, columns: 2, values: values, names: ["x", "z"]),
            Targets(task: .classification, values: labels, labels: ["no", "yes"])
        )
    }

    @Test func smoteBalancesWithInterpolatedPoints() {
        let (features, targets) = imbalanced()
        let result = SMOTE.resample(features, targets, neighbours: 3, seed: 1)
        #expect(result.features.rows == 80)
        #expect(result.targets.classes.filter { $0 == 1 }.count == 40)
        #expect(result.targets.classes.filter { $0 == 0 }.count == 40)
        // Synthetic points lie within the minority's bounding box (interpolation, not noise).
        for row in 48..<80 {
            #expect((100...107).contains(result.features[row, 0]))
            #expect((50...57).contains(result.features[row, 1]))
        }
        #expect(SMOTE.resample(features, targets, neighbours: 3, seed: 1).features == result.features)
    }

    @Test func balancedClassWeights() {
        let (_, targets) = imbalanced()
        let weights = ClassWeights.balanced(targets)
        #expect(weights[0] == 48.0 / (2 * 40))
        #expect(weights[47] == 48.0 / (2 * 8))
    }
}
