//! `dirchain org`: the member organisations, their keys and duties.

use crate::client::{
    args::{NodeArgs, PageArgs},
    output::{Human, Row, Text},
    session::Session,
    time,
};
use dirchain_client::schema::records::{DutyView, MemberView, OrgDetail, OrgView};
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Member organisations.
    List {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// An organisation with its member keys and its duties.
    Show {
        /// The organisation's id.
        id: String,
        #[command(flatten)]
        node: NodeArgs,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::List { page, node } => {
            let session = Session::new(&node)?;
            session
                .out
                .show(&session.client.orgs(&page.query()).await?)?;
        }
        Command::Show { id, node } => {
            let session = Session::new(&node)?;
            session.out.show(&session.client.org(&id).await?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl Row for OrgView {
    const HEADERS: &'static [&'static str] = &["id", "name", "state", "joined"];
    fn row(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.name.clone(),
            org_state(self.active).into(),
            time::show(self.joined_at),
        ]
    }
}

fn org_state(active: bool) -> &'static str {
    if active { "active" } else { "removed" }
}

impl Row for MemberView {
    const HEADERS: &'static [&'static str] = &["key", "role", "enrolled", "expires", "state"];
    fn row(&self) -> Vec<String> {
        let state = match &self.revoked {
            Some(r) => format!("revoked {} ({})", time::show(r.at), r.reason),
            None => "enrolled".into(),
        };
        vec![
            self.key.clone(),
            self.role.clone(),
            time::show(self.enrolled_at),
            time::show_expiry(self.expires_at),
            state,
        ]
    }
}

impl Row for DutyView {
    const HEADERS: &'static [&'static str] = &["channel", "id", "title", "legal basis"];
    fn row(&self) -> Vec<String> {
        vec![
            self.channel.clone(),
            self.id.clone(),
            self.title.clone(),
            self.legal_basis.clone(),
        ]
    }
}

impl Human for OrgDetail {
    fn human(&self, text: &mut Text) {
        text.field("organisation", &self.org.id)
            .field("name", &self.org.name)
            .field("state", org_state(self.org.active))
            .field("joined", time::show(self.org.joined_at));
        text.table(
            Some("members"),
            MemberView::HEADERS,
            self.members.iter().map(Row::row).collect(),
        );
        text.table(
            Some("duties"),
            DutyView::HEADERS,
            self.duties.iter().map(Row::row).collect(),
        );
    }
}
