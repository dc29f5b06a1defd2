import HeraldCore

extension HeraldError {
    /// The refusal of a part that this build left out.
    ///
    /// Herald's optional parts are SwiftPM package traits, all on by default: `PostgreSQL` (the
    /// shared store, through postgres-nio) and `JWT` (tokens minted elsewhere, through jwt-kit).
    /// A build with `--disable-default-traits` compiles faster without them, and answers an
    /// operator who asks for one with this error rather than failing in some other way.
    ///
    /// ```swift
    /// #if !PostgreSQL
    /// if store != nil { throw HeraldError.builtWithout("PostgreSQL", trait: "PostgreSQL") }
    /// #endif
    /// ```
    public static func builtWithout(_ feature: String, trait: String) -> HeraldError {
        HeraldError(.invalidParameter, "this herald was built without \(feature) support (trait \(trait)); build with default traits")
    }
}
