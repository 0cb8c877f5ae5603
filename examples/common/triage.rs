//! The quickstart's job, written once against `AlertSource`: the tests drive it on a test
//! double too.

use chrono::Utc;
use partner_alerts::triage::Dashboard;
use partner_alerts::{
    AlertQuery, AlertSource, AlertStatus, Field, Filter, ResolvedReason, Severity, StatusUpdate,
    UpdateTarget,
};

type Error = Box<dyn std::error::Error>;

/// The job, written once against `AlertSource`: it runs the same on Graph and FraudEvents.
pub async fn run(source: &dyn AlertSource, resolve: bool) -> Result<(), Error> {
    let urgent = AlertQuery::new().filter(
        Filter::status()
            .eq(AlertStatus::Active)
            .and(Filter::severity().eq(Severity::High)),
    );
    let alerts = source.list(&urgent).try_collect().await?;
    println!("Active high-severity alerts: {}", alerts.len());
    super::print_table(&alerts[..alerts.len().min(10)]);
    if alerts.len() > 10 {
        println!("... and {} more", alerts.len() - 10);
    }

    // The dashboard's figures need every alert, but only a few of their properties.
    let figures = AlertQuery::new().select([
        Field::Status,
        Field::ResolvedReason,
        Field::DetectedDateTime,
        Field::ResolvedOnDateTime,
    ]);
    let d = Dashboard::from_source(source, &figures, Utc::now()).await?;
    let average = d.average_time_to_resolve.map_or("-".to_owned(), |t| {
        format!("{:.1} h", t.num_minutes() as f64 / 60.0)
    });
    println!(
        "\nDashboard: average time {average} | new in 7 days {} | resolved {} | unresolved {} | past 1 hour {} | past 24 hours {}",
        d.new_last_7_days, d.resolved, d.unresolved, d.unresolved_past_1h, d.unresolved_past_24h
    );

    let Some(first) = alerts.first() else {
        println!("\nNothing to resolve.");
        return Ok(());
    };
    if !resolve {
        return Ok(());
    }
    println!("\nResolving {} as Legitimate...", first.id);
    let report = source
        .update_alerts(
            &[UpdateTarget::from(first)],
            &StatusUpdate::resolved(ResolvedReason::Legitimate),
        )
        .await?;
    if let Some((id, e)) = report.failed.first() {
        return Err(format!("{id} was not resolved: {e}").into());
    }
    if let Some((id, e)) = report.unconfirmed.first() {
        println!("{id}: the answer was lost ({e}); reading it again tells whether it changed");
    }
    let after = source.get(&first.id).await?;
    println!(
        "{}: status {}, reason {}, resolved by {} at {}",
        after.id,
        after.status.as_ref().map_or("-", |s| s.as_str()),
        after.resolved_reason.as_ref().map_or("-", |r| r.as_str()),
        after.resolved_by.as_deref().unwrap_or("-"),
        after.resolved_on_date_time.map_or("-".to_owned(), |t| t
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string()),
    );
    Ok(())
}
