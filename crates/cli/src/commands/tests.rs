//! Argument parsing of the client commands: what each takes, what it
//! refuses, and the defaults scripts rely on.

use super::*;
use crate::client::args::{DEFAULT_NODE, DEFAULT_WAIT_SECS};
use clap::{Parser, error::ErrorKind};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "dirchain")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    Cli::try_parse_from(std::iter::once("dirchain").chain(args.iter().copied())).map(|c| c.command)
}

fn refused(args: &[&str]) -> ErrorKind {
    parse(args).expect_err("refused").kind()
}

/// The defaults come from the environment when it names them.
fn env_free(var: &str) -> bool {
    std::env::var_os(var).is_none()
}

#[test]
fn the_command_tree_is_well_formed() {
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn signing_commands_take_node_key_channel_and_wait_flags() {
    let command = parse(&[
        "duty",
        "declare",
        "health/statistics",
        "--title",
        "Statistics",
        "--legal-basis",
        "Act 1",
        "--key",
        "admin.key",
        "--node",
        "http://10.0.0.5:8100",
        "--channel",
        "research",
        "--json",
        "--no-wait",
    ])
    .unwrap();
    let Command::Duty(duty::Command::Declare { channel, sign, .. }) = command else {
        panic!("{command:?}");
    };
    assert_eq!(channel.channel, "research");
    assert_eq!(sign.key.key, PathBuf::from("admin.key"));
    assert_eq!(sign.key.node.node, "http://10.0.0.5:8100");
    assert!(sign.key.node.json);
    assert_eq!(sign.wait(), None);
}

#[test]
fn defaults_are_the_local_devnet_main_and_a_wait_for_finality() {
    if !env_free("DIRCHAIN_NODE") || !env_free("DIRCHAIN_KEY") {
        return;
    }
    let command = parse(&[
        "catalog",
        "retire",
        "health/births",
        "--reason",
        "old",
        "--key",
        "k",
    ])
    .unwrap();
    let Command::Catalog(catalog::Command::Retire { channel, sign, .. }) = command else {
        panic!("{command:?}");
    };
    assert_eq!(channel.channel, "main");
    assert_eq!(sign.key.node.node, DEFAULT_NODE);
    assert!(!sign.key.node.json);
    assert_eq!(
        sign.wait(),
        Some(std::time::Duration::from_secs(DEFAULT_WAIT_SECS))
    );
    // Without --key (nor DIRCHAIN_KEY) a signing command is refused.
    assert_eq!(
        refused(&["catalog", "retire", "x", "--reason", "r"]),
        ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn waits_and_pages_are_bounded() {
    assert_eq!(
        refused(&[
            "catalog",
            "retire",
            "x",
            "--reason",
            "r",
            "--key",
            "k",
            "--wait-secs",
            "601"
        ]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        refused(&["org", "list", "--limit", "501"]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        refused(&["org", "list", "--limit", "0"]),
        ErrorKind::ValueValidation
    );
    assert!(parse(&["org", "list", "--limit", "500", "--cursor", "abc"]).is_ok());
}

#[test]
fn an_item_is_published_from_flags_or_from_a_file_not_both() {
    let command = parse(&[
        "catalog",
        "publish",
        "--id",
        "health/births",
        "--title",
        "Births",
        "--duty",
        "health/statistics",
        "--field",
        "birth_date:date:personal",
        "--field",
        "district:text:public",
        "--format",
        "csv",
        "--key",
        "k",
    ])
    .unwrap();
    let Command::Catalog(catalog::Command::Publish { file, item, .. }) = command else {
        panic!("{command:?}");
    };
    assert_eq!(file, None);
    assert_eq!(item.fields.len(), 2);
    assert_eq!(item.fields[0].sensitivity, "personal");
    assert_eq!(item.share_class, "conditional");
    assert_eq!(item.open_class, "closed");
    assert_eq!(item.update_frequency, "irregular");
    assert_eq!(item.version, 1);

    assert!(parse(&["catalog", "publish", "--file", "item.json", "--key", "k"]).is_ok());
    assert_eq!(
        refused(&[
            "catalog",
            "publish",
            "--file",
            "item.json",
            "--id",
            "x",
            "--key",
            "k"
        ]),
        ErrorKind::ArgumentConflict
    );
    assert_eq!(
        refused(&["catalog", "publish", "--title", "Births", "--key", "k"]),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        refused(&[
            "catalog", "publish", "--id", "a", "--title", "A", "--duty", "d", "--format", "csv",
            "--field", "a:text", "--key", "k",
        ]),
        ErrorKind::ValueValidation
    );
    assert_eq!(
        refused(&[
            "catalog",
            "publish",
            "--id",
            "a",
            "--title",
            "A",
            "--duty",
            "d",
            "--format",
            "csv",
            "--field",
            "a:text:public",
            "--share-class",
            "sometimes",
            "--key",
            "k",
        ]),
        ErrorKind::InvalidValue
    );
}

#[test]
fn a_decision_is_approve_or_deny() {
    let command = parse(&["permission", "decide", "ab", "--approve", "--key", "k"]).unwrap();
    assert!(matches!(
        command,
        Command::Permission(permission::Command::Decide { approve: true, .. })
    ));
    let command = parse(&[
        "permission",
        "decide",
        "ab",
        "--deny",
        "--reason",
        "no duty",
        "--key",
        "k",
    ])
    .unwrap();
    assert!(matches!(
        command,
        Command::Permission(permission::Command::Decide { approve: false, .. })
    ));
    assert_eq!(
        refused(&["permission", "decide", "ab", "--key", "k"]),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        refused(&[
            "permission",
            "decide",
            "ab",
            "--approve",
            "--deny",
            "--key",
            "k"
        ]),
        ErrorKind::ArgumentConflict
    );
}

#[test]
fn requests_take_comma_separated_fields() {
    let command = parse(&[
        "permission",
        "request",
        "health/births",
        "--fields",
        "birth_date,district",
        "--purpose",
        "planning",
        "--duty",
        "tax/planning",
        "--key",
        "k",
    ])
    .unwrap();
    let Command::Permission(permission::Command::Request {
        fields,
        valid_for_days,
        ..
    }) = command
    else {
        panic!("{command:?}");
    };
    assert_eq!(fields, ["birth_date", "district"]);
    assert_eq!(valid_for_days, permission::DEFAULT_VALID_DAYS);
    assert_eq!(
        refused(&["permission", "list", "--status", "gone"]),
        ErrorKind::InvalidValue
    );
}

#[test]
fn an_access_names_one_source_for_each_digest() {
    let base = [
        "access",
        "record",
        "--permission",
        "ab",
        "--fields",
        "district",
        "--subject",
        "110101199003072345",
        "--subject-key",
        "subject.key",
        "--key",
        "k",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        parse(&args)
    };
    let command = with(&["--query", "q", "--response-file", "answer.json"]).unwrap();
    let Command::Access(access::Command::Record {
        subjects,
        query,
        response_file,
        records,
        ..
    }) = command
    else {
        panic!("{command:?}");
    };
    assert_eq!(subjects.subjects, ["110101199003072345"]);
    assert_eq!(query.as_deref(), Some("q"));
    assert_eq!(response_file, Some(PathBuf::from("answer.json")));
    assert_eq!(records, None);
    assert_eq!(
        with(&["--response", "r"]).unwrap_err().kind(),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        with(&["--query", "q", "--query-digest", "ab", "--response", "r"])
            .unwrap_err()
            .kind(),
        ErrorKind::ArgumentConflict
    );
    let list = parse(&["access", "list", "--from", "2024-05-01", "--refused"]).unwrap();
    assert!(matches!(
        list,
        Command::Access(access::Command::List {
            from: Some(1_714_521_600_000),
            refused: true,
            ..
        })
    ));
    assert_eq!(
        refused(&["access", "list", "--from", "last week"]),
        ErrorKind::ValueValidation
    );
}

#[test]
fn an_enrolment_names_its_key_once_and_a_known_role() {
    let ok = parse(&[
        "member",
        "enroll",
        "--public-key",
        "ab",
        "--role",
        "steward",
        "--key",
        "k",
    ]);
    assert!(ok.is_ok());
    assert_eq!(
        refused(&["member", "enroll", "--role", "steward", "--key", "k"]),
        ErrorKind::MissingRequiredArgument
    );
    assert_eq!(
        refused(&[
            "member",
            "enroll",
            "--public-key",
            "ab",
            "--member-key-file",
            "m.key",
            "--role",
            "steward",
            "--key",
            "k",
        ]),
        ErrorKind::ArgumentConflict
    );
    assert_eq!(
        refused(&[
            "member",
            "enroll",
            "--public-key",
            "ab",
            "--role",
            "boss",
            "--key",
            "k"
        ]),
        ErrorKind::InvalidValue
    );
}

#[test]
fn governance_proposals_and_votes() {
    let command = parse(&[
        "governance",
        "propose",
        "create-channel",
        "--channel",
        "research",
        "--member",
        "health,tax",
        "--max-txs-per-block",
        "100",
        "--max-bytes",
        "1000000",
        "--key",
        "k",
    ])
    .unwrap();
    let Command::Governance(governance::Command::Propose(governance::Proposal::CreateChannel {
        members,
        ..
    })) = command
    else {
        panic!("{command:?}");
    };
    assert_eq!(members, ["health", "tax"]);
    assert!(parse(&["governance", "propose", "set-threshold", "2", "--key", "k"]).is_ok());
    assert_eq!(
        refused(&[
            "governance",
            "propose",
            "set-param",
            "--param",
            "colour",
            "--value",
            "1",
            "--key",
            "k",
        ]),
        ErrorKind::InvalidValue
    );
    assert!(parse(&["governance", "vote", "ab", "--no", "--key", "k"]).is_ok());
    assert_eq!(
        refused(&["governance", "vote", "ab", "--key", "k"]),
        ErrorKind::MissingRequiredArgument
    );
}

#[test]
fn verify_takes_a_state_key_or_a_record() {
    let command = parse(&["verify", "--record", "notary", "ab"]).unwrap();
    let Command::Verify(args) = command else {
        panic!("{command:?}");
    };
    assert_eq!(args.record, Some(vec!["notary".into(), "ab".into()]));
    assert!(parse(&["verify", "--state-key", "ab"]).is_ok());
    assert_eq!(refused(&["verify"]), ErrorKind::MissingRequiredArgument);
    assert_eq!(
        refused(&["verify", "--state-key", "ab", "--record", "org", "health"]),
        ErrorKind::ArgumentConflict
    );
    assert!(parse(&["verify", "--record", "org"]).is_err());
    // Access records: by id (located through the index) or by location.
    for (kind, id) in [("access", "ab"), ("access-log", "17")] {
        let command = parse(&["verify", "--record", kind, id]).unwrap();
        let Command::Verify(args) = command else {
            panic!("{command:?}");
        };
        assert_eq!(args.record, Some(vec![kind.into(), id.into()]));
    }
}

#[test]
fn read_only_commands_need_no_key() {
    for args in [
        &["status"][..],
        &["tx", "status", "ab"],
        &["block", "show", "latest"],
        &["org", "show", "health"],
        &["duty", "list", "--org", "health"],
        &[
            "catalog",
            "search",
            "births",
            "--org",
            "health",
            "--share-class",
            "conditional",
        ],
        &["catalog", "show", "health/births"],
        &[
            "permission",
            "requests",
            "--owner",
            "health",
            "--status",
            "pending",
        ],
        &["access", "subject", "-"],
        &[
            "notary",
            "check",
            "contract.pdf",
            "--genesis",
            "genesis.bin",
        ],
        &["asset", "show", "a-1"],
        &["governance", "list", "--status", "open"],
    ] {
        assert!(parse(args).is_ok(), "{args:?}: {:?}", parse(args).err());
    }
}

#[test]
fn import_takes_a_file_and_documents_its_formats() {
    let command = parse(&["catalog", "import", "items.csv", "--dry-run", "--key", "k"]).unwrap();
    assert!(matches!(
        command,
        Command::Catalog(catalog::Command::Import(_))
    ));
    let help = parse(&["catalog", "import", "--help"])
        .unwrap_err()
        .to_string();
    for column in [
        "share_class",
        "update_frequency",
        "name:type:sensitivity",
        "\"field_type\"",
    ] {
        assert!(help.contains(column), "{column} missing from:\n{help}");
    }
}
