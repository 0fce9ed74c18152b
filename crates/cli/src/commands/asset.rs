//! `dirchain asset`: register data assets, appraise, transfer and license
//! them, and show one with its history.

use crate::client::{
    args::{ChannelArg, NodeArgs, SignArgs},
    output::{Human, Row, Text, or_dash},
    session::{Session, Signing},
    time,
};
use dirchain_client::{
    Draft,
    draft::{AppraiseAssetDraft, LicenseAssetDraft, RegisterAssetDraft, TransferAssetDraft},
    schema::records::{AppraisalView, AssetDetail, AssetEventView},
};
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Register a data asset owned by the signer's organisation.
    Register {
        /// The asset's id.
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// The catalog item the asset is made of.
        #[arg(long, value_name = "ID")]
        item: Option<String>,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Record a valuation of an asset.
    Appraise {
        /// The asset's id.
        id: String,
        /// In minor units of the currency (cents for EUR).
        #[arg(long)]
        value: u64,
        /// e.g. EUR.
        #[arg(long)]
        currency: String,
        /// How the value was found, e.g. `cost`, `market`.
        #[arg(long)]
        method: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// Transfer an asset to another organisation (its owner only).
    Transfer {
        /// The asset's id.
        id: String,
        /// The receiving organisation.
        #[arg(long, value_name = "ORG")]
        to: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// License an asset to another organisation (its owner only).
    License {
        /// The asset's id.
        id: String,
        /// The licensed organisation.
        #[arg(long, value_name = "ORG")]
        licensee: String,
        /// The licence's terms.
        #[arg(long)]
        terms: String,
        /// Days until the licence ends.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: u64,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// An asset and its history.
    Show {
        /// The asset's id.
        id: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Register {
            id,
            name,
            description,
            item,
            channel,
            sign,
        } => {
            let payload = RegisterAssetDraft {
                id: id.clone(),
                name,
                description,
                item,
            }
            .build()?;
            send(&sign, &channel, payload, &id).await
        }
        Command::Appraise {
            id,
            value,
            currency,
            method,
            channel,
            sign,
        } => {
            let payload = AppraiseAssetDraft {
                asset: id.clone(),
                value,
                currency,
                method,
            }
            .build()?;
            send(&sign, &channel, payload, &id).await
        }
        Command::Transfer {
            id,
            to,
            channel,
            sign,
        } => {
            let payload = TransferAssetDraft {
                asset: id.clone(),
                to,
            }
            .build()?;
            send(&sign, &channel, payload, &id).await
        }
        Command::License {
            id,
            licensee,
            terms,
            expires_in_days,
            channel,
            sign,
        } => {
            let payload = LicenseAssetDraft {
                asset: id.clone(),
                licensee,
                terms,
                expires_at: time::days_from_now(expires_in_days).map_err(anyhow::Error::msg)?,
            }
            .build()?;
            send(&sign, &channel, payload, &id).await
        }
        Command::Show { id, channel, node } => {
            let session = Session::new(&node)?;
            let detail = session.client.asset(&id, Some(&channel.channel)).await?;
            session.out.show(&detail)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn send(
    sign: &SignArgs,
    channel: &ChannelArg,
    payload: impl Into<dirchain_types::tx::Payload>,
    asset: &str,
) -> anyhow::Result<ExitCode> {
    let signing = Signing::connect(sign, &channel.channel).await?;
    let report = signing
        .send(payload)
        .await?
        .with("asset", asset)
        .with("channel", &channel.channel);
    signing.finish(&report)
}

fn appraisal(a: &AppraisalView) -> String {
    format!(
        "{} {} ({}, by {})",
        a.value, a.currency, a.method, a.appraiser_org
    )
}

impl Row for AssetEventView {
    const HEADERS: &'static [&'static str] = &["#", "time", "event", "details"];
    fn row(&self) -> Vec<String> {
        let details = match self.kind.as_str() {
            "registered" => format!("owner {}", or_dash(self.owner_org.as_ref())),
            "appraised" => or_dash(self.appraisal.as_ref().map(appraisal)),
            "transferred" => format!(
                "{} -> {}",
                or_dash(self.from.as_ref()),
                or_dash(self.to.as_ref())
            ),
            "licensed" => or_dash(self.licence.as_ref().map(|l| {
                format!(
                    "to {} until {}: {}",
                    l.licensee,
                    time::show_expiry(l.expires_at),
                    l.terms
                )
            })),
            _ => "-".into(),
        };
        vec![
            self.seq.to_string(),
            time::show(self.at),
            self.kind.clone(),
            details,
        ]
    }
}

impl Human for AssetDetail {
    fn human(&self, text: &mut Text) {
        let a = &self.asset;
        text.field("asset", &a.id)
            .field("channel", &a.channel)
            .field("name", &a.name)
            .field("description", &a.description)
            .field("item", or_dash(a.item.as_ref()))
            .field("owner", &a.owner_org)
            .field("registered", time::show(a.registered_at))
            .field("value", or_dash(a.appraisal.as_ref().map(appraisal)));
        text.table(
            Some("history"),
            AssetEventView::HEADERS,
            self.events.iter().map(Row::row).collect(),
        );
    }
}
