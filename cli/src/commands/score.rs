//! `partner-alerts score`: the partner security score, each requirement with its status and
//! where to act, and the response-time SLA beside the service's own figure.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use partner_alerts::score::{
    ComplianceStatus, PartnerSecurityScore, SecurityRequirement, SecurityRequirementType as Type,
};
use partner_alerts::triage::Sla;
use partner_alerts::{AlertQuery, Field, GraphClient};
use serde::Serialize;

use crate::cli::ScoreArgs;
use crate::connect::Session;
use crate::exit::{Failure, Outcome};

/// What the SLA reads of each alert.
const FIELDS: &[Field] = &[
    Field::Status,
    Field::DetectedDateTime,
    Field::ResolvedOnDateTime,
];

/// One tenant's figures, as `--json` prints them.
#[derive(Serialize)]
struct Report {
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    score: PartnerSecurityScore,
    /// `null` when the service does not serve them to this tenant (its known 404).
    requirements: Option<Vec<SecurityRequirement>>,
    sla: Sla,
}

async fn report(client: &GraphClient, now: DateTime<Utc>) -> partner_alerts::Result<Report> {
    let score = client.security_score().await?;
    let requirements = client.security_requirements().await?;
    let service = requirements.as_ref().and_then(|rs| {
        rs.iter()
            .find_map(SecurityRequirement::as_response_time)
            .and_then(|r| r.average_response_time_in_hours)
    });
    let query = AlertQuery::new().select(FIELDS.iter().copied());
    let sla = Sla::from_source(client, &query, now)
        .await?
        .with_service_average(service);
    Ok(Report {
        tenant: None,
        score,
        requirements,
        sla,
    })
}

pub async fn run(session: &Session, args: &ScoreArgs, json: bool) -> Outcome {
    if session.graph.is_empty() {
        return Err(Failure::Usage(
            "the security score is a Microsoft Graph API: `score` does not run with --source fraud-events (nor on a tenants file without a Graph tenant)".into(),
        ));
    }
    let now = args.now.unwrap_or_else(Utc::now);
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for (name, client) in &session.graph {
        match report(client, now).await {
            Ok(mut r) => {
                r.tenant = session.multi.then(|| name.clone());
                reports.push(r);
            }
            Err(e) if !session.multi => return Err(Failure::from_library(&e)),
            Err(e) => {
                eprintln!(
                    "partner-alerts: tenant {name}: {}",
                    Failure::from_library(&e)
                );
                failed.push(name.clone());
            }
        }
    }
    let skipped = session.tenants.len() - session.graph.len();
    if skipped > 0 {
        eprintln!(
            "partner-alerts: {skipped} FraudEvents tenant(s) skipped: the score is Graph's only"
        );
    }
    let mut out = io::stdout().lock();
    if json {
        if session.multi {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "tenants": reports }))
        } else {
            serde_json::to_writer_pretty(&mut out, &reports[0])
        }
        .map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            if let Some(t) = &r.tenant {
                writeln!(out, "== {t} ==")?;
            }
            write_report(&mut out, r)?;
        }
    }
    out.flush()?;
    match failed.len() {
        0 => Ok(()),
        n if n == session.graph.len() => Err(Failure::Error("every tenant failed".into())),
        n => Err(Failure::Partial(format!(
            "partial result: {n} of {} tenants failed ({})",
            session.graph.len(),
            failed.join(", ")
        ))),
    }
}

fn label(kind: Option<&Type>) -> String {
    match kind {
        Some(Type::MfaEnforcedForAdmins) => "MFA for the partner's admins".into(),
        Some(Type::MfaEnforcedForAdminsOfCustomers) => "MFA for customers' admins".into(),
        Some(Type::SecurityAlertsPromptlyResolved) => "Alerts answered within 24 h".into(),
        Some(Type::SecurityContactProvided) => "Security contact provided".into(),
        Some(Type::SpendingBudgetSetForCustomerAzureSubscriptions) => {
            "Spending budgets on customers' Azure".into()
        }
        Some(other) => other.as_str().to_owned(),
        None => "(unnamed)".into(),
    }
}

fn write_report(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let s = &r.score;
    let num = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.2}"));
    write!(
        out,
        "Security score {} / {}",
        num(s.current_score),
        num(s.max_score)
    )?;
    match s.last_refresh_date_time {
        Some(t) => writeln!(out, " (data checked {})", t.format("%Y-%m-%d"))?,
        None => writeln!(out)?,
    }
    writeln!(out)?;
    match &r.requirements {
        None => writeln!(
            out,
            "Requirements: not available to this tenant (the service answers 404, a known issue: Graph Explorer #3938)"
        )?,
        Some(rs) => {
            writeln!(
                out,
                "{:<44} {:<14} {:>6}  What to do",
                "Requirement", "Status", "Points"
            )?;
            for req in rs {
                let b = req.base();
                let mut name = label(b.requirement_type.as_ref());
                if b.requirement_type.as_ref().is_some_and(Type::is_mandatory) {
                    name.push_str(" (mandatory)");
                }
                let status = match &b.compliance_status {
                    Some(ComplianceStatus::Compliant) => "compliant".to_owned(),
                    Some(ComplianceStatus::NonCompliant) => "NOT COMPLIANT".to_owned(),
                    Some(other) => other.as_str().to_owned(),
                    None => "-".to_owned(),
                };
                let points = match (b.score, b.max_score) {
                    (Some(p), Some(m)) => format!("{p}/{m}"),
                    _ => "-".to_owned(),
                };
                let action = b.action_url.as_deref().unwrap_or("-");
                writeln!(out, "{name:<44} {status:<14} {points:>6}  {action}")?;
            }
        }
    }
    writeln!(out)?;
    write!(out, "{}", r.sla)
}
