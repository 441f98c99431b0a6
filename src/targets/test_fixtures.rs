//! Rule texts shared by the targets' unit tests.

/// A password-spray rule with a `threshold` stage, on the built-in `azure.signinlogs`.
pub(crate) const SPRAY: &str = r#"
rule spray {
    title       "Password Spray: one address"
    id          5c0e3a51-7f4b-4c0e-9a3d-2b7c1e9f6d40
    status      experimental
    level       medium
    date        2026-11-28
    tags        attack.credential-access, attack.t1110.003
    description "Detects a spray."
    source azure.signinlogs
    match ResultType == 50126
    threshold distinct UserPrincipalName >= 10 by IPAddress window 1h
}
"#;
