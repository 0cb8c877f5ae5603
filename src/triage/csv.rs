//! Streaming CSV export of alerts: a row per alert as it arrives, in constant memory.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::Alert;
use crate::enrich::Names;

/// The header of a [`CsvExport`], in order; the `Partner tenant` column, when enabled
/// ([`CsvExportBuilder::tenant_column`]), comes after these.
///
/// The first eight are the Partner Center dashboard's export columns, with its names; the
/// rest are the alert's other properties a spreadsheet can hold.
pub const CSV_COLUMNS: &[&str] = &[
    "Alert name",
    "Subscription ID",
    "Alert ID",
    "Alert status",
    "First observed",
    "Last observed",
    "Alert type",
    "Severity",
    "Detection type",
    "Customer tenant ID",
    "Reseller tenant ID",
    "Detected",
    "Resolved reason",
    "Resolved on",
    "Resolved by",
    "Confidence",
    "Is test",
    "Affected resources",
];

/// The name columns ([`CsvExportBuilder::name_columns`]), in order: right after
/// `Reseller tenant ID`.
pub const NAME_COLUMNS: &[&str] = &["Customer name", "Reseller name", "Subscription name"];

/// Where the name columns go: after the ids they name.
const NAMES_AFTER: usize = 11;

/// The name of the optional last column.
const TENANT_COLUMN: &str = "Partner tenant";

/// The UTF-8 byte order mark, which makes Excel read the file as UTF-8 rather than in the
/// machine's ANSI code page.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes alerts as CSV, one row per alert as it is given, so an export of any size holds
/// one row in memory (the row's buffers are reused).
///
/// The columns are [`CSV_COLUMNS`], then `Partner tenant` when enabled. Cells hold:
///
/// | Value | Cell |
/// |---|---|
/// | absent (`None`) | empty |
/// | a timestamp | RFC 3339 in UTC to the whole second, `2026-11-01T09:30:00Z` (the fraction is dropped so that every cell has one width and the column sorts as text; [`Alert`]'s `Serialize` keeps it) |
/// | an enum (`status`, `severity`, ...) | the service's spelling (`as_str()`), an unknown value as it was sent |
/// | `Alert type` | the dashboard's category, `Azure Usage` or `Azure Notification`; the alert's own `alertType` is `Detection type` |
/// | `Is test` | `true`, `false` or empty |
/// | `Affected resources` | the resources' ids joined by `; ` (a resource's type when it has no id) |
///
/// Rows end with CRLF (RFC 4180); a cell holding a comma, a quote or a line break is quoted.
///
/// # Formula injection
///
/// A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a
/// leading tab or carriage return can hide such a start), and much of an alert is text that
/// anyone able to name an Azure resource, or to sign in as a resolver, chooses: the display
/// name, `resolvedBy`, resource ids, an enum value the service has not defined yet. So,
/// as [OWASP advises](https://owasp.org/www-community/attacks/CSV_Injection), every cell
/// whose first character is `=`, `+`, `-`, `@`, a tab or a carriage return is written with a
/// single quote `'` in front, which spreadsheets show as text. This applies to every cell,
/// not only the free-text ones; a program reading the file back sees the `'`.
///
/// ```
/// use partner_alerts::{Alert, AlertId, AlertStatus};
/// use partner_alerts::triage::{CSV_COLUMNS, CsvExport};
///
/// let mut alert = Alert::new(AlertId::new("a1")?);
/// alert.display_name = Some("=HYPERLINK(\"http://evil.example\")".into());
/// alert.status = Some(AlertStatus::Active);
///
/// let mut export = CsvExport::builder().tenant_column(true).build(Vec::new())?;
/// export.write_from("contoso", &alert)?;
/// assert_eq!(export.rows(), 1);
/// let csv = String::from_utf8(export.finish()?).unwrap();
///
/// let mut lines = csv.lines();
/// assert!(lines.next().unwrap().starts_with("Alert name,Subscription ID,Alert ID"));
/// assert!(lines.next().unwrap().starts_with("\"'=HYPERLINK(\"\"http://evil.example\"\")\",,a1,active,"));
/// assert_eq!(CSV_COLUMNS.len() + 1, csv.lines().next().unwrap().split(',').count());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CsvExport<W: Write> {
    inner: csv::Writer<W>,
    tenant_column: bool,
    name_columns: bool,
    rows: u64,
    /// The row being written, reused from row to row.
    record: csv::ByteRecord,
    /// Room to build one cell in, reused from cell to cell.
    cell: String,
}

impl<W: Write> std::fmt::Debug for CsvExport<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvExport")
            .field("tenant_column", &self.tenant_column)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

/// The options of a [`CsvExport`]: a byte order mark, a tenant column.
///
/// ```
/// use partner_alerts::triage::CsvExport;
///
/// let export = CsvExport::builder().bom(true).build(Vec::new())?;
/// assert!(export.finish()?.starts_with(b"\xEF\xBB\xBFAlert name,"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CsvExportBuilder {
    bom: bool,
    tenant_column: bool,
    name_columns: bool,
}

impl CsvExportBuilder {
    /// No byte order mark, no tenant column (the same as [`CsvExport::builder`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the UTF-8 byte order mark first (off by default), so that Excel opens the
    /// file as UTF-8; other readers may show it as a stray character in the first header.
    pub fn bom(mut self, on: bool) -> Self {
        self.bom = on;
        self
    }

    /// Adds a last column, `Partner tenant`, filled by [`CsvExport::write_from`] (off by
    /// default).
    pub fn tenant_column(mut self, on: bool) -> Self {
        self.tenant_column = on;
        self
    }

    /// Adds the [`NAME_COLUMNS`] (`Customer name`, `Reseller name`, `Subscription name`)
    /// right after `Reseller tenant ID` (off by default), filled by
    /// [`CsvExport::write_with_names`] from an [`Enricher`](crate::enrich::Enricher)'s
    /// names; empty for a name not found and for rows written without names.
    ///
    /// ```
    /// use partner_alerts::triage::CsvExport;
    ///
    /// let export = CsvExport::builder().name_columns(true).build(Vec::new())?;
    /// let header = String::from_utf8(export.finish()?).unwrap();
    /// assert!(header.contains("Reseller tenant ID,Customer name,Reseller name,Subscription name,Detected"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn name_columns(mut self, on: bool) -> Self {
        self.name_columns = on;
        self
    }

    /// Starts the export into `writer`: the byte order mark if asked for, then the header.
    ///
    /// Output is buffered; [`CsvExport::finish`] flushes it (and [`CsvExport::flush`] on
    /// the way).
    ///
    /// # Errors
    /// Writing the byte order mark or the header failed.
    pub fn build<W: Write>(self, mut writer: W) -> io::Result<CsvExport<W>> {
        if self.bom {
            // Before the CSV writer, which only knows records.
            writer.write_all(BOM)?;
        }
        let inner = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(writer);
        let mut export = CsvExport {
            inner,
            tenant_column: self.tenant_column,
            name_columns: self.name_columns,
            rows: 0,
            record: csv::ByteRecord::new(),
            cell: String::new(),
        };
        if export.name_columns {
            export.record.extend(&CSV_COLUMNS[..NAMES_AFTER]);
            export.record.extend(NAME_COLUMNS);
            export.record.extend(&CSV_COLUMNS[NAMES_AFTER..]);
        } else {
            export.record.extend(CSV_COLUMNS);
        }
        if export.tenant_column {
            export.record.push_field(TENANT_COLUMN.as_bytes());
        }
        export.inner.write_byte_record(&export.record)?;
        Ok(export)
    }
}

// `builder` sits on one concrete type: on `impl<W> CsvExport<W>` nothing would tell the
// compiler which `W`, and `CsvExport::builder()` would not compile.
impl CsvExport<io::Sink> {
    /// The options, starting from the defaults (no byte order mark, no tenant column);
    /// [`CsvExportBuilder::build`] chooses the writer.
    pub fn builder() -> CsvExportBuilder {
        CsvExportBuilder::default()
    }
}

impl<W: Write> CsvExport<W> {
    /// Starts an export into `writer` with the default options: no byte order mark, no
    /// tenant column. Writes the header row at once.
    ///
    /// # Errors
    /// Writing the header failed.
    pub fn new(writer: W) -> io::Result<Self> {
        CsvExportBuilder::default().build(writer)
    }

    /// Writes one alert's row; the `Partner tenant` cell, if the column is enabled, is left
    /// empty.
    ///
    /// # Errors
    /// Writing failed.
    pub fn write(&mut self, alert: &Alert) -> io::Result<()> {
        self.write_row(None, alert, None)
    }

    /// Writes one alert's row, with `tenant` in the `Partner tenant` column if it is enabled
    /// (and nowhere otherwise).
    ///
    /// # Errors
    /// Writing failed.
    pub fn write_from(&mut self, tenant: &str, alert: &Alert) -> io::Result<()> {
        self.write_row(Some(tenant), alert, None)
    }

    /// Writes one alert's row with its names in the name columns, if enabled
    /// ([`CsvExportBuilder::name_columns`]), and `tenant`, if given, in the `Partner tenant`
    /// column, if enabled.
    ///
    /// # Errors
    /// Writing failed.
    pub fn write_with_names(
        &mut self,
        tenant: Option<&str>,
        alert: &Alert,
        names: &Names,
    ) -> io::Result<()> {
        self.write_row(tenant, alert, Some(names))
    }

    /// The data rows written so far (the header not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Passes the rows buffered so far on to the writer, and flushes it.
    ///
    /// # Errors
    /// Writing or flushing failed.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Flushes the export and returns the writer. Dropping an export flushes it too, but
    /// without a way to report an error.
    ///
    /// # Errors
    /// Writing or flushing failed.
    pub fn finish(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }

    fn write_row(
        &mut self,
        tenant: Option<&str>,
        a: &Alert,
        names: Option<&Names>,
    ) -> io::Result<()> {
        let name_columns = self.name_columns;
        let CsvExport { record, cell, .. } = self;
        record.clear();
        let mut text =
            |value: Option<&str>| push_cell(record, cell, |c| c.push_str(value.unwrap_or("")));
        text(a.display_name.as_deref());
        text(a.subscription_id.as_ref().map(|s| s.as_str()));
        text(Some(a.id.as_str()));
        text(a.status.as_ref().map(|s| s.as_str()));
        text(timestamp(a.first_observed_date_time).as_deref());
        text(timestamp(a.last_observed_date_time).as_deref());
        text(a.alert_type.as_ref().map(|t| t.category().label()));
        text(a.severity.as_ref().map(|s| s.as_str()));
        text(a.alert_type.as_ref().map(|t| t.as_str()));
        text(a.customer_tenant_id.as_ref().map(|t| t.as_str()));
        text(
            a.value_added_reseller_tenant_id
                .as_ref()
                .map(|t| t.as_str()),
        );
        if name_columns {
            text(names.and_then(Names::customer_name));
            text(names.and_then(Names::reseller_name));
            text(names.and_then(Names::subscription_name));
        }
        text(timestamp(a.detected_date_time).as_deref());
        text(a.resolved_reason.as_ref().map(|r| r.as_str()));
        text(timestamp(a.resolved_on_date_time).as_deref());
        text(a.resolved_by.as_deref());
        text(a.confidence_level.as_ref().map(|c| c.as_str()));
        text(a.is_test.map(|t| if t { "true" } else { "false" }));
        push_cell(record, cell, |c| {
            let resources = a.affected_resources.iter().flatten();
            for r in resources.filter_map(|r| r.resource_id.as_ref().or(r.resource_type.as_ref())) {
                if !c.is_empty() {
                    c.push_str("; ");
                }
                c.push_str(r);
            }
        });
        if self.tenant_column {
            push_cell(record, cell, |c| c.push_str(tenant.unwrap_or("")));
        }
        self.inner.write_byte_record(record)?;
        self.rows += 1;
        Ok(())
    }
}

/// A timestamp as written: RFC 3339, UTC, whole seconds, `Z`.
fn timestamp(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Builds a cell with `fill` in `cell` and appends it to `record`, with a `'` in front when
/// a spreadsheet would read it as a formula.
fn push_cell(record: &mut csv::ByteRecord, cell: &mut String, fill: impl FnOnce(&mut String)) {
    cell.clear();
    fill(cell);
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        // Rare, so moving the cell up by a byte costs nothing that matters.
        cell.insert(0, '\'');
    }
    record.push_field(cell.as_bytes());
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{
        AffectedResource, AlertId, AlertStatus, AlertType, ConfidenceLevel, ResolvedReason,
        Severity, SubscriptionId, TenantId,
    };

    fn full() -> Alert {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 1, h, 30, 15).unwrap();
        let mut a = Alert::new(AlertId::new("d8b202fc-a216-3404-69ef-000000000001").unwrap());
        a.display_name = Some("Crypto, \"mining\"\nline two".into());
        a.subscription_id = Some(SubscriptionId::new("sub-1").unwrap());
        a.status = Some(AlertStatus::Resolved);
        a.first_observed_date_time = Some(at(1));
        // A fraction of a second: dropped.
        a.last_observed_date_time = Some(at(2) + chrono::TimeDelta::milliseconds(250));
        a.alert_type = Some(AlertType::new("CryptoMining"));
        a.severity = Some(Severity::High);
        a.customer_tenant_id = Some(TenantId::new("cust-1").unwrap());
        a.value_added_reseller_tenant_id = Some(TenantId::new("var-1").unwrap());
        a.detected_date_time = Some(at(3));
        a.resolved_reason = Some(ResolvedReason::Legitimate);
        a.resolved_on_date_time = Some(at(4));
        a.resolved_by = Some("admin@contoso.example".into());
        a.confidence_level = Some(ConfidenceLevel::parse("medium"));
        a.is_test = Some(false);
        a.affected_resources = Some(vec![
            AffectedResource::new("/subscriptions/sub-1/vm1", "AzureResource"),
            AffectedResource {
                resource_id: None,
                resource_type: Some("AzureResource".into()),
            },
            AffectedResource::default(),
            AffectedResource::new("/subscriptions/sub-1/vm2", "AzureResource"),
        ]);
        a
    }

    /// The records of a CSV text, header first.
    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    fn export(tenant_column: bool, alerts: &[(Option<&str>, Alert)]) -> Vec<u8> {
        let mut e = CsvExport::builder()
            .tenant_column(tenant_column)
            .build(Vec::new())
            .unwrap();
        for (tenant, a) in alerts {
            match tenant {
                Some(t) => e.write_from(t, a).unwrap(),
                None => e.write(a).unwrap(),
            }
        }
        assert_eq!(e.rows(), alerts.len() as u64);
        e.finish().unwrap()
    }

    #[test]
    fn a_full_and_an_empty_alert_round_trip() {
        let empty = Alert::new(AlertId::new("a2").unwrap());
        let rows = read(&export(false, &[(None, full()), (Some("ignored"), empty)]));
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], CSV_COLUMNS);
        let expected = [
            "Crypto, \"mining\"\nline two",
            "sub-1",
            "d8b202fc-a216-3404-69ef-000000000001",
            "resolved",
            "2026-11-01T01:30:15Z",
            "2026-11-01T02:30:15Z",
            "Azure Usage",
            "high",
            "CryptoMining",
            "cust-1",
            "var-1",
            "2026-11-01T03:30:15Z",
            "legitimate",
            "2026-11-01T04:30:15Z",
            "admin@contoso.example",
            "medium",
            "false",
            "/subscriptions/sub-1/vm1; AzureResource; /subscriptions/sub-1/vm2",
        ];
        assert_eq!(rows[1], expected);
        let mut blank = vec![""; CSV_COLUMNS.len()];
        blank[2] = "a2";
        assert_eq!(rows[2], blank, "no tenant cell without the column");
    }

    #[test]
    fn the_tenant_column_is_last_and_empty_for_write() {
        let rows = read(&export(
            true,
            &[
                (Some("contoso, ltd"), full()),
                (None, Alert::new(AlertId::new("a2").unwrap())),
            ],
        ));
        let mut header: Vec<&str> = CSV_COLUMNS.to_vec();
        header.push("Partner tenant");
        assert_eq!(rows[0], header);
        assert_eq!(rows[1].len(), header.len());
        assert_eq!(rows[1].last().unwrap(), "contoso, ltd");
        assert_eq!(rows[2].last().unwrap(), "");
    }

    #[test]
    fn the_notification_type_and_test_alerts() {
        let mut a = Alert::new(AlertId::new("a3").unwrap());
        a.alert_type = Some(AlertType::SERVICE_HEALTH_SECURITY_ADVISORY);
        a.is_test = Some(true);
        a.status = Some(AlertStatus::parse("escalated"));
        let rows = read(&export(false, &[(None, a)]));
        let cell = |name: &str| &rows[1][CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
        assert_eq!(cell("Alert type"), "Azure Notification");
        assert_eq!(cell("Detection type"), "serviceHealthSecurityAdvisory");
        assert_eq!(cell("Is test"), "true");
        assert_eq!(
            cell("Alert status"),
            "escalated",
            "an unknown value as sent"
        );
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_quoted() {
        let cases = [
            ("=HYPERLINK(\"http://x.example\",\"click\")", true),
            ("+1", true),
            ("-2", true),
            ("@SUM(A1)", true),
            ("\tX", true),
            ("\rX", true),
            ("Crypto mining = bad", false),
            ("'already quoted", false),
            ("", false),
        ];
        let alerts: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let mut a = Alert::new(AlertId::new(format!("a{i}")).unwrap());
                a.display_name = Some((*name).to_owned());
                a.resolved_by = Some((*name).to_owned());
                (Some(*name), a)
            })
            .collect();
        let rows = read(&export(true, &alerts));
        for (row, (name, formula)) in rows[1..].iter().zip(cases) {
            let expected = if formula {
                format!("'{name}")
            } else {
                name.to_owned()
            };
            assert_eq!(row[0], expected, "display name {name:?}");
            assert_eq!(row[14], expected, "resolved by {name:?}");
            assert_eq!(row[18], expected, "tenant {name:?}");
            assert_eq!(row[1], "", "an empty cell stays empty");
        }
        // A resource id is text too.
        let mut a = Alert::new(AlertId::new("r").unwrap());
        a.affected_resources = Some(vec![AffectedResource::new("=1+1", "x")]);
        assert_eq!(read(&export(false, &[(None, a)]))[1][17], "'=1+1");
    }

    #[test]
    fn a_bom_only_when_asked_for() {
        let with = CsvExport::builder()
            .bom(true)
            .build(Vec::new())
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(&with[..3], b"\xEF\xBB\xBF");
        assert!(with[3..].starts_with(b"Alert name,"));
        let without = CsvExport::new(Vec::new()).unwrap().finish().unwrap();
        assert!(without.starts_with(b"Alert name,"));
        assert_eq!(with[3..], without[..]);
    }

    #[test]
    fn rows_end_with_crlf() {
        let out = export(false, &[(None, Alert::new(AlertId::new("a").unwrap()))]);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\r\n").count(), 2, "{text:?}");
        assert!(text.ends_with(",a,,,,,,,,,,,,,,,\r\n"), "{text:?}");
    }

    #[test]
    fn timestamps_are_whole_seconds_in_utc() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
            + chrono::TimeDelta::nanoseconds(999_999_900);
        assert_eq!(timestamp(Some(t)).unwrap(), "2026-01-02T03:04:05Z");
        assert_eq!(timestamp(None), None);
    }

    #[test]
    fn write_errors_are_io_errors() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let e = CsvExport::builder().bom(true).build(Full).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        // Without a BOM the header is buffered; the error comes with the flush.
        let export = CsvExport::new(Full).unwrap();
        assert_eq!(
            export.finish().unwrap_err().kind(),
            io::ErrorKind::StorageFull
        );
    }

    #[test]
    fn name_columns_follow_the_ids_they_name() {
        use crate::enrich::{Lookup, Name, Names, Source};
        let names = Names::new(
            Lookup::Found(Name::new("=Fabrikam", Source::PartnerCenter)),
            Lookup::NotFound,
            Lookup::Skipped,
        );
        let mut e = CsvExport::builder()
            .name_columns(true)
            .tenant_column(true)
            .build(Vec::new())
            .unwrap();
        e.write_with_names(Some("contoso"), &full(), &names)
            .unwrap();
        e.write(&full()).unwrap();
        let rows = read(&e.finish().unwrap());
        let at = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
        assert_eq!(at("Customer name"), at("Reseller tenant ID") + 1);
        assert_eq!(at("Subscription name") + 1, at("Detected"));
        assert_eq!(rows[0].len(), CSV_COLUMNS.len() + NAME_COLUMNS.len() + 1);
        assert_eq!(
            rows[1][at("Customer name")],
            "'=Fabrikam",
            "names are text too"
        );
        assert_eq!(rows[1][at("Reseller name")], "");
        assert_eq!(rows[1][at("Partner tenant")], "contoso");
        assert_eq!(rows[2][at("Customer name")], "", "written without names");
        assert_eq!(rows[1].len(), rows[0].len());
    }
}
