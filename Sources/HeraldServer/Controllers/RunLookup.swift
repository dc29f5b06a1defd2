import HeraldCore

/// Which run a run route names for its caller: the `{run}` of the path, in the `?project=`
/// named, or else among the projects the caller can read (docs/notes/projects-and-runs.md).
///
/// A run of a project the caller cannot read answers exactly as a run that does not exist.
struct RunLookup: Sendable {
    let store: any EventStore

    /// The run named, or 404 (`run_not_found`).
    func run(_ name: String, project: String?, access: Access) async throws(HeraldError) -> Run {
        guard let ref = try await ref(name, project: project, access: access), let run = try await store.run(ref) else {
            throw Self.notFound(name)
        }
        return run
    }

    /// The run the caller means, nil when no run of that name exists for it. Answers without a
    /// read when the project is known (named, or the caller's only one). A caller reaching
    /// several projects that hold the name is asked to choose (400 `ambiguous_run`).
    func ref(_ name: String, project: String?, access: Access) async throws(HeraldError) -> RunRef? {
        if let known = try Self.knownRef(name, project: project, access: access) { return known }
        let runs = try await store.runs(named: name, in: access.projects, limit: 2)
        guard runs.count < 2 else {
            let projects = runs.map(\.project).sorted()
            throw HeraldError(
                .ambiguousRun,
                "runs named \(name) exist in several projects you can read (\(projects.joined(separator: " and ")) among them): name one with ?project= (herald commands: --project)"
            )
        }
        return runs.first?.ref
    }

    /// The run meant when the request settles the project by itself: the `?project=` named (404
    /// when the caller cannot read it), or the caller's only project.
    static func knownRef(_ name: String, project: String?, access: Access) throws(HeraldError) -> RunRef? {
        guard Names.isValidRun(name) else { throw notFound(name) }
        if let project {
            guard access.canRead(project) else { throw notFound(name) }
            return RunRef(project: project, run: name)
        }
        if case .only(let projects) = access.projects, projects.count == 1, let only = projects.first {
            return RunRef(project: only, run: name)
        }
        return nil
    }

    /// Where a run of that name with no event yet will be (a stream waiting for it, a ticket to
    /// it): the caller's default project (its only one, or `default`); nil when the caller
    /// cannot read that project and must name one.
    static func toCome(_ name: String, access: Access) -> RunRef? {
        let project = access.projects.defaultProject
        return access.canRead(project) ? RunRef(project: project, run: name) : nil
    }

    static func notFound(_ name: String) -> HeraldError {
        HeraldError(.runNotFound, "run \(name) not found")
    }
}
