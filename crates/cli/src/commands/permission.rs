//! `dirchain permission`: request purpose-bound access to fields of an item,
//! decide requests, revoke permissions, and list both.

use crate::client::{
    args::{ChannelArg, ChannelFilter, NodeArgs, PageArgs, SignArgs},
    current_record,
    output::{Human, Row, Text, list, or_dash},
    session::{Session, Signing},
    time,
};
use clap::builder::PossibleValuesParser;
use dirchain_client::{
    Draft,
    draft::{DecideAccessDraft, RequestAccessDraft, RevokePermissionDraft},
    input,
    schema::records::{
        PermissionQuery, PermissionStatus, PermissionView, RequestQuery, RequestView,
    },
};
use dirchain_types::{keys::request_key, records::Request};
use serde::Serialize;
use std::process::ExitCode;

/// How long a permission asked for lasts when `--valid-for-days` is not given.
pub const DEFAULT_VALID_DAYS: u64 = 90;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Ask for access to fields of an item, for a purpose, under one of the
    /// signer's organisation's duties. Unconditional items are granted at
    /// once; conditional ones wait for a steward of the owner.
    Request {
        /// The item's id.
        item: String,
        /// The fields asked for, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        fields: Vec<String>,
        /// What the data is for.
        #[arg(long)]
        purpose: String,
        /// The duty of the signer's organisation that needs the data.
        #[arg(long, value_name = "ID")]
        duty: String,
        /// Days the permission is to last once granted.
        #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_VALID_DAYS)]
        valid_for_days: u64,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Approve or deny a request (a steward of the item's owner).
    Decide {
        /// The request's id (hex).
        request: String,
        #[arg(long, conflicts_with = "deny", required_unless_present = "deny")]
        approve: bool,
        #[arg(long)]
        deny: bool,
        /// Why, for the record.
        #[arg(long, default_value = "")]
        reason: String,
        /// Days an approved permission lasts.
        #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_VALID_DAYS)]
        expires_in_days: u64,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Withdraw a permission (its owner or its consumer).
    Revoke {
        /// The permission's id (hex).
        permission: String,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Permissions, most recently granted first.
    List {
        /// Granted to this organisation.
        #[arg(long, value_name = "ORG")]
        consumer: Option<String>,
        /// On items of this organisation.
        #[arg(long, value_name = "ORG")]
        owner: Option<String>,
        #[arg(long, value_name = "ID")]
        item: Option<String>,
        #[arg(long, value_parser = PossibleValuesParser::new(["live", "expired", "revoked"]))]
        status: Option<String>,
        #[command(flatten)]
        channel: ChannelFilter,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A request and the permission that answers it (same id), if granted.
    Show {
        /// The request's (and permission's) id (hex).
        id: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Access requests, most recent first.
    Requests {
        /// Made by this organisation.
        #[arg(long, value_name = "ORG")]
        consumer: Option<String>,
        /// On items of this organisation.
        #[arg(long, value_name = "ORG")]
        owner: Option<String>,
        #[arg(long, value_name = "ID")]
        item: Option<String>,
        #[arg(long, value_parser = PossibleValuesParser::new(["pending", "approved", "denied"]))]
        status: Option<String>,
        #[command(flatten)]
        channel: ChannelFilter,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Request {
            item,
            fields,
            purpose,
            duty,
            valid_for_days,
            channel,
            sign,
        } => {
            let payload = RequestAccessDraft {
                item: item.clone(),
                fields,
                purpose,
                requester_duty: duty,
                valid_for_ms: time::days_ms(valid_for_days).map_err(anyhow::Error::msg)?,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let mut report = signing.send(payload).await?;
            // The request is named by its transaction, and so is the
            // permission that answers it.
            let id = report.status.hash.clone();
            report = report.with("request", &id).with("item", item);
            if report.is_final() {
                let hash = input::digest("hash", &id)?;
                let key = request_key(signing.signer.channel(), &hash);
                if let Some(request) = current_record::<Request>(signing.client(), &key).await? {
                    let status = request.status.label();
                    report = report.with("request_status", status);
                    if status == "approved" {
                        report = report.with("permission", &id);
                    }
                }
            }
            signing.finish(&report)
        }
        Command::Decide {
            request,
            approve,
            deny: _,
            reason,
            expires_in_days,
            channel,
            sign,
        } => {
            let expires_at = if approve {
                time::days_from_now(expires_in_days).map_err(anyhow::Error::msg)?
            } else {
                0
            };
            let payload = DecideAccessDraft {
                request: request.clone(),
                approve,
                reason,
                expires_at,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let mut report = signing
                .send(payload)
                .await?
                .with("request", &request)
                .with("decision", if approve { "approved" } else { "denied" });
            if approve {
                report = report
                    .with("permission", &request)
                    .with_time("expires_at", expires_at);
            }
            signing.finish(&report)
        }
        Command::Revoke {
            permission,
            reason,
            channel,
            sign,
        } => {
            let payload = RevokePermissionDraft {
                permission: permission.clone(),
                reason,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let report = signing.send(payload).await?.with("permission", permission);
            signing.finish(&report)
        }
        Command::List {
            consumer,
            owner,
            item,
            status,
            channel,
            page,
            node,
        } => {
            let session = Session::new(&node)?;
            let query = PermissionQuery {
                consumer,
                owner,
                item,
                status: status.as_deref().map(permission_status),
                channel: channel.channel,
                limit: page.limit,
                cursor: page.cursor,
            };
            session
                .out
                .show(&session.client.permissions(&query).await?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, channel, node } => {
            let id = input::digest("id", &id)?;
            let session = Session::new(&node)?;
            let channel = Some(channel.channel.as_str());
            let request = session.client.request(&id, channel).await?;
            let permission = match session.client.permission(&id, channel).await {
                Ok(permission) => Some(permission),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e.into()),
            };
            session.out.show(&Shown {
                request,
                permission,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Requests {
            consumer,
            owner,
            item,
            status,
            channel,
            page,
            node,
        } => {
            let session = Session::new(&node)?;
            let query = RequestQuery {
                consumer,
                owner,
                item,
                status,
                channel: channel.channel,
                limit: page.limit,
                cursor: page.cursor,
            };
            session.out.show(&session.client.requests(&query).await?)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The label clap checked, as the filter's enum.
fn permission_status(label: &str) -> PermissionStatus {
    match label {
        "live" => PermissionStatus::Live,
        "expired" => PermissionStatus::Expired,
        _ => PermissionStatus::Revoked,
    }
}

fn status_label(status: PermissionStatus) -> &'static str {
    match status {
        PermissionStatus::Live => "live",
        PermissionStatus::Expired => "expired",
        PermissionStatus::Revoked => "revoked",
    }
}

impl Row for PermissionView {
    const HEADERS: &'static [&'static str] = &[
        "id", "item", "owner", "consumer", "fields", "status", "expires",
    ];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.item.clone(),
            self.owner_org.clone(),
            self.consumer_org.clone(),
            list(&self.fields),
            status_label(self.status).into(),
            time::show_expiry(self.expires_at),
        ]
    }
}

/// `permission show`: a request and its permission.
#[derive(Serialize)]
struct Shown {
    request: RequestView,
    /// Absent while the request is pending, and when it was denied.
    permission: Option<PermissionView>,
}

impl Human for Shown {
    fn human(&self, text: &mut Text) {
        let r = &self.request;
        text.field("request", &r.id)
            .field("channel", &r.channel)
            .field("item", format!("{} (version {})", r.item, r.item_version))
            .field("owner", &r.owner_org)
            .field("consumer", &r.consumer_org)
            .field("requester", &r.requester)
            .field("fields", list(&r.fields))
            .field("purpose", &r.purpose)
            .field("duty", &r.requester_duty)
            .field(
                "valid for",
                format!("{} days", r.valid_for_ms / time::DAY_MS),
            )
            .field("requested", time::show(r.requested_at))
            .field("decision", &r.status)
            .field("decided by", or_dash(r.decided_by.as_ref()))
            .field("reason", or_dash(Some(&r.reason).filter(|r| !r.is_empty())));
        let Some(p) = &self.permission else {
            text.line("no permission: the request is not approved");
            return;
        };
        text.line(format!("permission {}", p.id));
        text.field("status", status_label(p.status))
            .field("fields", list(&p.fields))
            .field("granted", time::show(p.granted_at))
            .field("expires", time::show_expiry(p.expires_at));
        if let Some(revoked) = &p.revoked {
            text.field(
                "revoked",
                format!(
                    "{} by {} ({})",
                    time::show(revoked.at),
                    revoked.by,
                    revoked.reason
                ),
            );
        }
    }
}

impl Row for RequestView {
    const HEADERS: &'static [&'static str] = &[
        "id",
        "item",
        "owner",
        "consumer",
        "fields",
        "status",
        "requested",
    ];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.item.clone(),
            self.owner_org.clone(),
            self.consumer_org.clone(),
            list(&self.fields),
            self.status.clone(),
            time::show(self.requested_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_labels_map_to_the_schema_status() {
        for status in [
            PermissionStatus::Live,
            PermissionStatus::Expired,
            PermissionStatus::Revoked,
        ] {
            assert_eq!(permission_status(status_label(status)), status);
        }
    }
}
