//! The recipe of one alert: its type, customer, times, status history, affected resources,
//! details and description, all derived from the seed and the alert's number.

use chrono::{DateTime, TimeDelta, Utc};
use partner_alerts::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertId, AlertStatus, AlertType,
    ConfidenceLevel, ResolvedReason, Severity,
};

use super::directory::Generator;
use super::types::{TypeSpec, type_specs};
use super::words::{
    ADVISORIES, ARM_OPERATIONS, GPU_SKUS, PARTNER_USERS, POOL_DOMAINS, REGIONS, RESOURCE_GROUPS,
    VM_NAMES,
};
use crate::record::Record;
use crate::rng::{SplitMix64, derive};

/// Generated alerts are spread over this many days before "now".
const SPREAD_DAYS: i64 = 60;

/// A JSON array of strings inside a string, as the services format it (.NET's indented
/// style, with `\r\n`).
fn json_list_string(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|i| format!("  \"{i}\"")).collect();
    format!("[\r\n{}\r\n]", inner.join(",\r\n"))
}

fn public_ip(g: &mut SplitMix64) -> String {
    // Stay out of private, loopback and multicast ranges so the values look real.
    let first = *g.pick(&[13u64, 20, 40, 52, 104, 137, 168, 185, 191, 23]);
    format!(
        "{}.{}.{}.{}",
        first,
        g.range(1, 254),
        g.range(0, 255),
        g.range(1, 254)
    )
}

/// A timestamp with 100-nanosecond precision, as Graph's .NET back end writes them.
fn ticks(t: DateTime<Utc>, g: &mut SplitMix64) -> DateTime<Utc> {
    let whole = t - TimeDelta::nanoseconds(i64::from(t.timestamp_subsec_nanos()));
    whole + TimeDelta::nanoseconds(g.below(10_000_000) as i64 * 100)
}

impl Generator {
    /// The UPN of one of the partner's users.
    fn partner_upn(&self, g: &mut SplitMix64) -> String {
        format!("{}@{}", g.pick(PARTNER_USERS), self.partner.domain)
    }

    /// The alert number `index`, placed relative to `now`.
    ///
    /// With `fresh`, the alert has just been raised: detected at `now`, active, no history.
    /// Otherwise it was detected at some point in the last 60 days and may have been handled
    /// since.
    pub(crate) fn record(&self, index: u64, now: DateTime<Utc>, fresh: bool) -> Record {
        let mut g = derive(self.seed, index.wrapping_add(1));
        let specs = type_specs();
        let weights: Vec<u32> = specs.iter().map(|s| s.weight).collect();
        let spec = &specs[g.weighted(&weights)];

        let customer = g.pick(&self.customers);
        let subscription = g.pick(&customer.subscriptions);
        let sub = subscription.id.as_str().to_owned();
        let id = AlertId::new(g.guid()).expect("a GUID is a valid alert id");
        let entity = g.guid();
        let event_id = AlertId::new(format!("{sub}_{entity}")).expect("valid event id");

        // Detection time: fresh alerts now; others anywhere in the window, older ones more
        // likely handled since.
        let (detected, age) = if fresh {
            (now, 0.0)
        } else {
            let window = TimeDelta::days(SPREAD_DAYS) - TimeDelta::hours(1);
            let back = g.below(window.num_seconds() as u64) as i64;
            let t = now - TimeDelta::hours(1) - TimeDelta::seconds(back);
            (ticks(t, &mut g), back as f64 / window.num_seconds() as f64)
        };
        let first_observed = ticks(
            detected - TimeDelta::minutes(g.range(20, 720) as i64),
            &mut g,
        );
        let last_observed = ticks(detected - TimeDelta::minutes(g.range(1, 15) as i64), &mut g);

        let status = if fresh {
            AlertStatus::Active
        } else {
            let resolved = 6 + (age * 30.0) as u32;
            match g.weighted(&[100 - resolved - 12, 12, resolved]) {
                0 => AlertStatus::Active,
                1 => AlertStatus::Investigating,
                _ => AlertStatus::Resolved,
            }
        };

        let crypto = spec.alert_type == AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS
            || spec.alert_type == AlertType::CRYPTO_MINING;
        let severity = if crypto {
            [Severity::High, Severity::Medium][g.weighted(&[75, 25])].clone()
        } else if spec.alert_type == AlertType::SERVICE_HEALTH_SECURITY_ADVISORY {
            [Severity::Informational, Severity::Medium, Severity::High][g.weighted(&[40, 40, 20])]
                .clone()
        } else {
            [
                Severity::High,
                Severity::Medium,
                Severity::Low,
                Severity::Informational,
            ][g.weighted(&[28, 46, 22, 4])]
            .clone()
        };
        let confidence = [
            ConfidenceLevel::High,
            ConfidenceLevel::Medium,
            ConfidenceLevel::Low,
        ][g.weighted(&[35, 45, 20])]
        .clone();

        let region = *g.pick(REGIONS);
        let rg = *g.pick(RESOURCE_GROUPS);
        let (resources, details, description) = self.details(spec, &sub, region, rg, &mut g);

        let is_test = g.chance(0.03);
        let mut alert = Alert::new(id);
        alert.display_name = Some(if is_test {
            format!("[Test] {}", spec.title)
        } else {
            spec.title.to_owned()
        });
        alert.description = Some(if is_test {
            format!("This is a test alert generated to validate your alert handling. {description}")
        } else {
            description
        });
        alert.alert_type = Some(spec.alert_type.clone());
        alert.severity = Some(severity);
        alert.confidence_level = Some(confidence);
        alert.customer_tenant_id = Some(customer.tenant_id.clone());
        alert.subscription_id = Some(subscription.id.clone());
        alert.value_added_reseller_tenant_id = customer
            .reseller
            .map(|r| self.resellers[r].tenant_id.clone());
        alert.catalog_offer_id = customer.offer.map(str::to_owned);
        alert.detected_date_time = Some(detected);
        alert.first_observed_date_time = Some(first_observed);
        alert.last_observed_date_time = Some(last_observed);
        alert.is_test = Some(is_test);
        alert.affected_resources = Some(resources);
        alert.additional_details = Some(details);
        alert.activity_logs = Some(self.history(&status, detected, now, &mut g));
        if status == AlertStatus::Resolved {
            let last = alert
                .activity_logs
                .as_ref()
                .and_then(|l| l.last())
                .cloned()
                .unwrap_or_default();
            alert.resolved_reason = Some(
                [
                    ResolvedReason::Fraud,
                    ResolvedReason::Legitimate,
                    ResolvedReason::Ignore,
                ][g.weighted(&[40, 45, 15])]
                .clone(),
            );
            alert.resolved_on_date_time = last.updated_date_time;
            alert.resolved_by = last.updated_by;
        }
        alert.status = Some(status);

        Record {
            seq: 0,
            customer_name: Some(customer.name.clone()),
            reseller_name: customer.reseller.map(|r| self.resellers[r].name.clone()),
            subscription_name: Some(subscription.name.clone()),
            event_id,
            alert,
            rendered: Default::default(),
        }
    }

    /// The status history leading to `status`, between detection and `now`.
    fn history(
        &self,
        status: &AlertStatus,
        detected: DateTime<Utc>,
        now: DateTime<Utc>,
        g: &mut SplitMix64,
    ) -> Vec<ActivityLog> {
        let user = self.partner_upn(g);
        let room = (now - detected).num_seconds().max(120) as u64;
        let at = |after: DateTime<Utc>, g: &mut SplitMix64| {
            let left = (now - after).num_seconds().max(2) as u64;
            let step = g.range(60, (room / 3).clamp(61, left.max(61)));
            ticks(after + TimeDelta::seconds(step.min(left - 1) as i64), g)
        };
        let mut logs = Vec::new();
        match status {
            AlertStatus::Investigating => {
                let t = at(detected, g);
                logs.push(ActivityLog::new(
                    AlertStatus::Active,
                    AlertStatus::Investigating,
                    &user,
                    t,
                ));
            }
            AlertStatus::Resolved => {
                if g.chance(0.5) {
                    let t1 = at(detected, g);
                    let t2 = at(t1, g);
                    logs.push(ActivityLog::new(
                        AlertStatus::Active,
                        AlertStatus::Investigating,
                        &user,
                        t1,
                    ));
                    logs.push(ActivityLog::new(
                        AlertStatus::Investigating,
                        AlertStatus::Resolved,
                        &user,
                        t2,
                    ));
                } else {
                    let t = at(detected, g);
                    logs.push(ActivityLog::new(
                        AlertStatus::Active,
                        AlertStatus::Resolved,
                        &user,
                        t,
                    ));
                }
            }
            _ => {
                // A few active alerts were looked at and put back.
                if g.chance(0.08) {
                    let t1 = at(detected, g);
                    let t2 = at(t1, g);
                    logs.push(ActivityLog::new(
                        AlertStatus::Active,
                        AlertStatus::Investigating,
                        &user,
                        t1,
                    ));
                    logs.push(ActivityLog::new(
                        AlertStatus::Investigating,
                        AlertStatus::Active,
                        &user,
                        t2,
                    ));
                }
            }
        }
        logs
    }

    /// Affected resources, additional details and the description for one alert.
    fn details(
        &self,
        spec: &TypeSpec,
        sub: &str,
        region: &str,
        rg: &str,
        g: &mut SplitMix64,
    ) -> (Vec<AffectedResource>, AdditionalDetails, String) {
        let base = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
        let vm = *g.pick(VM_NAMES);
        let vm_id = format!("{base}/Microsoft.Compute/virtualMachines/{vm}");
        let sku = *g.pick(GPU_SKUS);
        let mut details = AdditionalDetails::new();
        let t = &spec.alert_type;
        let regions = |g: &mut SplitMix64| -> Vec<String> {
            let n = g.range(2, 5) as usize;
            let mut out: Vec<String> = Vec::new();
            while out.len() < n {
                let r = g.pick(REGIONS).to_string();
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            out
        };

        if *t == AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS
            || *t == AlertType::CRYPTO_MINING
        {
            let vm_ip = public_ip(g);
            let pool_ips: Vec<String> = (0..g.range(1, 2)).map(|_| public_ip(g)).collect();
            let count = g.range(3, 480);
            let domain = *g.pick(POOL_DOMAINS);
            details.insert(
                AdditionalDetails::VM_IP,
                json_list_string(std::slice::from_ref(&vm_ip)),
            );
            details.insert(
                AdditionalDetails::MINING_POOL_IP,
                json_list_string(&pool_ips),
            );
            details.insert(AdditionalDetails::CONNECTION_COUNT, count.to_string());
            details.insert(AdditionalDetails::MINING_POOL_DOMAIN_NAME, domain);
            let description = format!(
                "Analysis of Azure resource network activity detected the resource {vm} ({vm_ip}) in \
                 {region} connecting to a crypto currency mining pool at {domain} {count} times. \
                 This would often be an indication that your Azure resource is compromised. Review \
                 the running processes and recent sign-ins on the machine, rotate any credentials \
                 stored on it, and stop or delete the resource if the activity was not authorised."
            );
            let resources = vec![AffectedResource::new(vm_id, "AzureResource")];
            return (resources, details, description);
        }

        if *t == AlertType::SERVICE_HEALTH_SECURITY_ADVISORY {
            let (service, what) = *g.pick(ADVISORIES);
            let tracking = format!(
                "{}{}{}-{}{}{}",
                (b'A' + g.below(26) as u8) as char,
                (b'A' + g.below(26) as u8) as char,
                g.range(1, 9),
                (b'A' + g.below(26) as u8) as char,
                (b'A' + g.below(26) as u8) as char,
                g.range(10, 99)
            );
            details.insert("TrackingId", tracking.clone());
            details.insert("ImpactedService", service);
            details.insert("ImpactedRegion", region);
            let description = format!(
                "Microsoft sent a security advisory (tracking id {tracking}) to the customer through \
                 Azure Service Health about {what}. The advisory concerns {service} resources in \
                 {region}. Make sure the customer has read the notification in Service Health, \
                 applied the recommended mitigation and reviewed access to the subscription; \
                 no resource-level detection is attached to this alert."
            );
            // Advisories are raised at subscription level: often no resource at all.
            let resources = if g.chance(0.5) {
                Vec::new()
            } else {
                vec![AffectedResource::new(
                    format!("/subscriptions/{sub}"),
                    "Subscription",
                )]
            };
            return (resources, details, description);
        }

        if *t == AlertType::USAGE_ANOMALY_DETECTION
            || *t == AlertType::ARM_ANOMALOUS_RESOURCE_CONSUMPTION
        {
            let meter = *g.pick(&[
                "Virtual Machines",
                "Azure Machine Learning",
                "Container Instances",
                "Batch",
                "Bandwidth",
            ]);
            let baseline = g.range(20, 400);
            let factor = g.range(4, 60);
            let observed = baseline * factor;
            details.insert("MeterCategory", meter);
            details.insert("BaselineDailyCostUSD", baseline.to_string());
            details.insert("ObservedDailyCostUSD", observed.to_string());
            details.insert("IncreasePercent", ((factor - 1) * 100).to_string());
            details.insert("Regions", json_list_string(&regions(g)));
            let description = format!(
                "Azure detected a sudden increase in {meter} consumption on this subscription: \
                 about {observed} USD per day against a baseline of {baseline} USD, an increase of \
                 {}%. Such spikes are often caused by compromised credentials used to deploy \
                 expensive resources. Review recent deployments and the identities that created \
                 them, remove anything not authorised and consider a spending limit or budget alert.",
                (factor - 1) * 100
            );
            let resources = if g.chance(0.6) {
                vec![AffectedResource::new(
                    format!("/subscriptions/{sub}"),
                    "Subscription",
                )]
            } else {
                Vec::new()
            };
            return (resources, details, description);
        }

        if *t == AlertType::ARM_SUSPICIOUS_OPERATIONS {
            let op = *g.pick(ARM_OPERATIONS);
            let ip = public_ip(g);
            let count = g.range(2, 90);
            details.insert("OperationName", op);
            details.insert("CallerIpAddress", ip.clone());
            details.insert("OperationCount", count.to_string());
            details.insert(
                "CallerCountry",
                *g.pick(&["NL", "RU", "VN", "BR", "US", "SG"]),
            );
            let description = format!(
                "Azure Resource Manager observed {count} calls of the operation {op} on resources of \
                 this subscription from the IP address {ip}, which has not been used with this \
                 subscription before. The pattern matches techniques used by attackers to gain \
                 persistence or run code on virtual machines. Verify that the caller is known, \
                 revoke its sessions and role assignments if not, and review the activity log."
            );
            let resources = vec![
                AffectedResource::new(vm_id, "AzureResource"),
                AffectedResource::new(
                    format!("/subscriptions/{sub}/resourceGroups/{rg}"),
                    "ResourceGroup",
                ),
            ];
            return (resources, details, description);
        }

        // The deployment anomalies: VMs, scale sets, Batch, ACI and Machine Learning.
        let (kind, provider, what) =
            if *t == AlertType::MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY {
                (
                    "virtual machine scale sets",
                    "Microsoft.Compute/virtualMachineScaleSets",
                    "vmss",
                )
            } else if *t == AlertType::AZURE_BATCH_ANOMALOUS_DEPLOYMENT {
                (
                    "Azure Batch pools",
                    "Microsoft.Batch/batchAccounts",
                    "batch",
                )
            } else if *t == AlertType::AZURE_CONTAINER_INSTANCES_ANOMALOUS_DEPLOYMENT {
                (
                    "container groups",
                    "Microsoft.ContainerInstance/containerGroups",
                    "aci",
                )
            } else if *t == AlertType::AZURE_MACHINE_LEARNING_ANOMALOUS_DEPLOYMENT
                || *t == AlertType::MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY
            {
                (
                    "Machine Learning compute clusters",
                    "Microsoft.MachineLearningServices/workspaces",
                    "aml",
                )
            } else {
                (
                    "virtual machines",
                    "Microsoft.Compute/virtualMachines",
                    "vm",
                )
            };
        let regions = regions(g);
        let count = g.range(6, 240);
        details.insert("Regions", json_list_string(&regions));
        details.insert("DeploymentCount", count.to_string());
        details.insert("Sku", sku);
        details.insert(
            "DeployedBy",
            format!("{}@{}", g.pick(PARTNER_USERS), "customer.onmicrosoft.com"),
        );
        let resources: Vec<AffectedResource> = (0..g.range(1, 3))
            .map(|i| {
                AffectedResource::new(
                    format!(
                        "{base}/{provider}/{what}-{}-{i}",
                        regions[i as usize % regions.len()]
                    ),
                    "AzureResource",
                )
            })
            .collect();
        let description = format!(
            "An unusual deployment of {count} {kind} of size {sku} was detected in the regions {} \
             within a short time. The subscription has no history of deployments of this size or \
             in these regions, which often means that its credentials were compromised and are \
             being used for crypto currency mining. Confirm with the customer that the deployment \
             is expected; if not, delete the resources and rotate the credentials used.",
            regions.join(", ")
        );
        (resources, details, description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn same_seed_same_alerts() {
        let a = Generator::new(7);
        let b = Generator::new(7);
        for i in 0..50 {
            assert_eq!(
                a.record(i, now(), false).alert,
                b.record(i, now(), false).alert
            );
        }
        let c = Generator::new(8);
        assert_ne!(
            a.record(0, now(), false).alert,
            c.record(0, now(), false).alert
        );
    }

    #[test]
    fn alerts_are_consistent_and_sized() {
        let g = Generator::new(42);
        let n = 2000;
        let mut total = 0usize;
        let mut types = std::collections::HashSet::new();
        let mut resolved = 0;
        let mut tests = 0;
        for i in 0..n {
            let r = g.record(i, now(), false);
            let a = &r.alert;
            total += serde_json::to_vec(a).unwrap().len();
            types.insert(a.alert_type.clone().unwrap());
            let detected = a.detected_date_time.unwrap();
            assert!(detected <= now() && detected >= now() - TimeDelta::days(SPREAD_DAYS));
            assert!(a.first_observed_date_time.unwrap() <= a.last_observed_date_time.unwrap());
            let logs = a.activity_logs.as_ref().unwrap();
            for l in logs {
                let t = l.updated_date_time.unwrap();
                assert!(t > detected && t <= now(), "{t} after {detected}");
            }
            match a.status.as_ref().unwrap() {
                AlertStatus::Resolved => {
                    resolved += 1;
                    assert!(a.resolved_reason.is_some());
                    assert_eq!(
                        a.resolved_on_date_time,
                        logs.last().unwrap().updated_date_time
                    );
                    assert!(a.resolved_by.is_some());
                }
                s => {
                    assert!(a.resolved_reason.is_none() && a.resolved_on_date_time.is_none());
                    assert!(a.resolved_by.is_none());
                    if let Some(last) = logs.last() {
                        assert_eq!(last.status_to.as_ref(), Some(s));
                    }
                }
            }
            if a.is_test == Some(true) {
                tests += 1;
            }
            let sub = a.subscription_id.as_ref().unwrap().as_str();
            assert!(r.event_id.as_str().starts_with(&format!("{sub}_")));
        }
        assert_eq!(types.len(), AlertType::KNOWN.len());
        let avg = total / n as usize;
        assert!((1450..=1850).contains(&avg), "average alert size {avg}");
        assert!((150..=700).contains(&resolved), "{resolved} resolved");
        assert!((10..=150).contains(&tests), "{tests} test alerts");
    }

    #[test]
    fn crypto_details_hold_json_in_strings() {
        let g = Generator::new(3);
        let a = (0..200)
            .map(|i| g.record(i, now(), false).alert)
            .find(|a| a.alert_type == Some(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS))
            .unwrap();
        let d = a.additional_details.unwrap();
        assert_eq!(d.vm_ips().unwrap().len(), 1);
        assert!(!d.mining_pool_ips().unwrap().is_empty());
        assert!(d.connection_count().is_some());
        assert!(d.get_str("ConnectionCount").is_some());
        assert!(d.mining_pool_domain_name().is_some());
    }

    #[test]
    fn fresh_alerts_are_active_and_now() {
        let g = Generator::new(1);
        let r = g.record(999, now(), true);
        assert_eq!(r.alert.status, Some(AlertStatus::Active));
        assert!(r.alert.activity_logs.unwrap().is_empty());
        let d = r.alert.detected_date_time.unwrap();
        assert!((d - now()).num_seconds().abs() <= 1);
    }
}
