//! `dirchain duty`: the legal duties an organisation performs, which justify
//! its use of data.

use crate::client::{
    args::{ChannelArg, ChannelFilter, NodeArgs, SignArgs},
    output::{Human, Row, Text},
    session::{Session, Signing},
};
use dirchain_client::{Draft, draft::DeclareDutyDraft, schema::records::DutyView};
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Declare (or update) a duty of the signer's organisation.
    Declare {
        /// The duty's id, e.g. `health/statistics`.
        id: String,
        #[arg(long)]
        title: String,
        /// The law or regulation that assigns the duty.
        #[arg(long)]
        legal_basis: String,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        sign: SignArgs,
    },
    /// The duties of an organisation.
    List {
        /// The organisation.
        #[arg(long, value_name = "ID")]
        org: String,
        #[command(flatten)]
        channel: ChannelFilter,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// The duties `duty list` prints.
#[derive(Serialize)]
struct Duties {
    duties: Vec<DutyView>,
}

impl Human for Duties {
    fn human(&self, text: &mut Text) {
        text.table(
            None,
            DutyView::HEADERS,
            self.duties.iter().map(Row::row).collect(),
        );
    }
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Declare {
            id,
            title,
            legal_basis,
            channel,
            sign,
        } => {
            let payload = DeclareDutyDraft {
                id: id.clone(),
                title,
                legal_basis,
            }
            .build()?;
            let signing = Signing::connect(&sign, &channel.channel).await?;
            let report = signing
                .send(payload)
                .await?
                .with("duty", id)
                .with("channel", &channel.channel);
            signing.finish(&report)
        }
        Command::List { org, channel, node } => {
            let session = Session::new(&node)?;
            let detail = session.client.org(&org).await?;
            let duties = detail
                .duties
                .into_iter()
                .filter(|d| channel.channel.as_ref().is_none_or(|c| &d.channel == c))
                .collect();
            session.out.show(&Duties { duties })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
