//! The partner security score (reference section 11.2), under
//! `/security/partner/securityScore`: the score (`$expand=requirements,history`), the
//! requirements and the history (list and get), and the customers' insights, paged.
//!
//! The response-time requirement's `averageResponseTimeInHours` is the library's own
//! 30-day average ([`partner_alerts::triage::sla`]) over the emulator's alerts at its "now",
//! and its compliance follows from it; the other requirements, the history and the insights
//! are generated from the seed, consistently: the customers' MFA requirement counts the
//! insights, the score is the requirements' points out of 100, the last history entry is
//! today's score. Served in the shapes of section 11's examples, as Graph's SDKs read them:
//! numbers as JSON numbers, `noncomplaint` as the SDKs spell it, `@odata.type` on every
//! requirement, a single entity not wrapped in `value`, every property written.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use partner_alerts::score::{ComplianceStatus, SecurityRequirementType as Type};
use partner_alerts::triage::ResponseAverage;
use partner_alerts::triage::sla::response_time;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::options::options;
use super::skiptoken::{Token, skiptoken};
use crate::envelope::{Reply, graph_error, parse_query};
use crate::rng::{SplitMix64, derive};
use crate::shared::Shared;

const NS: &str = "#microsoft.graph.partner.security";

/// Whether the path (segments relative to `/beta`) is the score's.
pub(super) fn handles(segs: &[String]) -> bool {
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    is(0, "security") && is(1, "partner") && is(2, "securityScore")
}

pub(super) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[String],
    query: &str,
) -> Reply {
    if *method != Method::GET {
        return super::not_allowed(ctx, method, "GET");
    }
    let score = Score::of(shared, ctx.now);
    let rest: Vec<&str> = segs[3..].iter().map(String::as_str).collect();
    let nav = |name: &str| rest.first().is_some_and(|s| s.eq_ignore_ascii_case(name));
    match rest.len() {
        0 => get_score(ctx, &score, query),
        1 if nav("requirements") => plain(ctx, query)
            .unwrap_or_else(|| collection(ctx, "requirements", score.requirements(), None)),
        1 if nav("history") => {
            plain(ctx, query).unwrap_or_else(|| collection(ctx, "history", score.history(), None))
        }
        1 if nav("customerInsights") => insights(shared, ctx, &score, query),
        2 if nav("requirements") || nav("history") => plain(ctx, query).unwrap_or_else(|| {
            let items = if nav("history") {
                score.history()
            } else {
                score.requirements()
            };
            match items.into_iter().find(|i| i["id"] == rest[1]) {
                Some(item) => entity(ctx, rest[0], item),
                None => graph_error(
                    StatusCode::NOT_FOUND,
                    "itemNotFound",
                    &format!("The {} with id '{}' was not found.", rest[0], rest[1]),
                    &ctx.ids,
                    ctx.now,
                ),
            }
        }),
        _ => ctx.bad_request(&format!(
            "Resource not found for the segment '{}'.",
            rest.last().copied().unwrap_or("securityScore")
        )),
    }
}

/// A 400 for any system query option on a resource that takes none.
fn plain(ctx: &Ctx, query: &str) -> Option<Reply> {
    options(ctx, query, &[]).err()
}

fn context(ctx: &Ctx, path: &str) -> String {
    format!(
        "{}/$metadata#security/partner/securityScore{path}",
        ctx.base
    )
}

fn entity(ctx: &Ctx, nav: &str, mut item: Value) -> Reply {
    if let Value::Object(m) = &mut item {
        m.insert(
            "@odata.context".into(),
            context(ctx, &format!("/{nav}/$entity")).into(),
        );
    }
    Reply::json(StatusCode::OK, &item)
}

fn collection(ctx: &Ctx, nav: &str, value: Vec<Value>, next: Option<String>) -> Reply {
    let mut page = json!({ "@odata.context": context(ctx, &format!("/{nav}")), "value": value });
    if let Some(next) = next {
        page["@odata.nextLink"] = next.into();
    }
    Reply::json(StatusCode::OK, &page)
}

/// `GET …/securityScore`, with `$expand` of `requirements` and `history`.
fn get_score(ctx: &Ctx, score: &Score, query: &str) -> Reply {
    let mut expand = Vec::new();
    let mut rest = Vec::new();
    for (key, value) in parse_query(query) {
        if key
            .strip_prefix('$')
            .unwrap_or(&key)
            .eq_ignore_ascii_case("expand")
        {
            for nav in value.split(',').map(str::trim) {
                match nav {
                    "requirements" | "history" => expand.push(nav.to_owned()),
                    other => {
                        return ctx.bad_request(&format!(
                            "Could not find a property named '{other}' on type \
                             'microsoft.graph.partner.security.partnerSecurityScore'."
                        ));
                    }
                }
            }
        } else {
            rest.push(format!("{key}={value}"));
        }
    }
    if let Some(bad) = plain(ctx, &rest.join("&")) {
        return bad;
    }
    let mut body = score.entity();
    body["@odata.context"] = context(ctx, "/$entity").into();
    for nav in expand {
        body[&nav] = Value::Array(if nav == "history" {
            score.history()
        } else {
            score.requirements()
        });
    }
    Reply::json(StatusCode::OK, &body)
}

/// `GET …/customerInsights`, a page at a time (`$skipToken`; `$top` and `$skip` refused, as
/// the documentation says client-side paging is not supported).
fn insights(shared: &Shared, ctx: &Ctx, score: &Score, query: &str) -> Reply {
    let o = match options(ctx, query, &["skiptoken"]) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let token = o.skiptoken.unwrap_or(Token::FIRST);
    let all = score.insights(shared);
    let from = usize::try_from(token.after)
        .unwrap_or(usize::MAX)
        .min(all.len());
    let to = (from + shared.page_size).min(all.len());
    let next = (to < all.len()).then(|| {
        let t = Token {
            after: to as u64,
            page: token.page.saturating_add(1),
            empty: false,
        };
        format!(
            "{}/security/partner/securityScore/customerInsights?$skipToken={}",
            ctx.base,
            skiptoken(t)
        )
    });
    collection(ctx, "customerInsights", all[from..to].to_vec(), next)
}

/// A requirement's figures before rendering.
struct Requirement {
    odata_type: &'static str,
    kind: Type,
    max: i64,
    compliant: bool,
    /// Points when not compliant (a share, for the counting requirements).
    partial: i64,
    action_url: &'static str,
    help_url: &'static str,
    extra: Value,
}

/// Everything the score's endpoints serve, as of one "now".
struct Score {
    seed: u64,
    now: DateTime<Utc>,
    requirements: Vec<Requirement>,
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn policy(on: bool) -> &'static str {
    if on { "enabled" } else { "disabled" }
}

/// One customer's MFA figures, from the seed and its position.
fn customer_mfa(seed: u64, i: usize) -> (i64, i64, i64, bool, bool, bool) {
    let mut g = derive(seed, 0x5c0e_1000 + i as u64);
    let users = g.range(2, 400) as i64;
    let admins = g.range(1, 6).min(users as u64) as i64;
    let defaults = g.chance(0.5);
    let conditional = !defaults && g.chance(0.4);
    let legacy = g.chance(0.1);
    let covered = defaults || conditional;
    let compliant_admins = if covered {
        admins
    } else {
        g.below(admins as u64 + 1) as i64
    };
    let compliant_others = if covered {
        users - admins
    } else {
        g.below((users - admins) as u64 + 1) as i64
    };
    (
        compliant_admins,
        compliant_others,
        users,
        defaults,
        conditional,
        legacy,
    )
}

impl Score {
    fn of(shared: &Shared, now: DateTime<Utc>) -> Score {
        let seed = shared.generator.seed();
        let average = shared.read(|s| {
            let mut avg = ResponseAverage::default();
            for r in s.records() {
                if let Some(took) = response_time(&r.alert, now) {
                    avg.add(took);
                }
            }
            avg
        });
        let hours = average.hours();
        let limit = partner_alerts::triage::RESPONSE_REQUIREMENT;
        let prompt = average.average().is_none_or(|a| a <= limit);

        let customers = shared.generator.customer_tenants().len();
        let covered = (0..customers)
            .filter(|i| {
                let (_, _, _, defaults, conditional, _) = customer_mfa(seed, *i);
                defaults || conditional
            })
            .count();
        let mut g = derive(seed, 0x5c0e_0001);
        let contact = g.chance(0.8);
        let admins = g.range(2, 9) as i64;
        let missing = g.weighted(&[60, 30, 10]) as i64;
        let users = admins + g.range(5, 60) as i64;
        let users_missing = missing + g.below(4) as i64;
        let budgets = customers - g.below(customers as u64 / 3 + 1) as usize;
        let share = |part: usize, max: i64| {
            if customers == 0 {
                max
            } else {
                max * part as i64 / customers as i64
            }
        };
        let requirements = vec![
            Requirement {
                odata_type: "adminsMfaEnforcedSecurityRequirement",
                kind: Type::MfaEnforcedForAdmins,
                max: 20,
                compliant: missing == 0,
                partial: 0,
                action_url: "https://aka.ms/M365MFAWizard",
                help_url: "https://aka.ms/partner-center-security-requirements-mfa",
                extra: json!({
                    "totalAdminsCount": admins,
                    "mfaEnabledAdminsCount": admins - missing,
                    "adminsRequiredNotUsingMfaCount": missing,
                    "totalUsersCount": users,
                    "mfaEnabledUsersCount": users - users_missing,
                    "usersRequiredNotUsingMfaCount": users_missing,
                    "securityDefaultsStatus": policy(missing == 0),
                    "mfaConditionalAccessPolicyStatus": policy(missing != 0),
                    "legacyPerUserMfaStatus": policy(false),
                }),
            },
            Requirement {
                odata_type: "customersMfaEnforcedSecurityRequirement",
                kind: Type::MfaEnforcedForAdminsOfCustomers,
                max: 20,
                compliant: covered == customers,
                partial: share(covered, 20),
                action_url: "https://aka.ms/partner-center-customers-mfa",
                help_url: "https://aka.ms/partner-center-security-requirements-customers-mfa",
                extra: json!({
                    "totalTenantCount": customers,
                    "compliantTenantCount": covered,
                }),
            },
            Requirement {
                odata_type: "responseTimeSecurityRequirement",
                kind: Type::SecurityAlertsPromptlyResolved,
                max: 10,
                compliant: prompt,
                partial: 0,
                action_url: "https://aka.ms/partner-center-security-alerts",
                help_url: "https://aka.ms/partner-center-security-dashboard-response-time",
                extra: json!({ "averageResponseTimeInHours": hours }),
            },
            Requirement {
                odata_type: "securityRequirement",
                kind: Type::SecurityContactProvided,
                max: 10,
                compliant: contact,
                partial: 0,
                action_url: "https://aka.ms/partner-center-security-contact",
                help_url: "https://aka.ms/partner-center-security-requirements-contact",
                extra: json!({}),
            },
            Requirement {
                odata_type: "customersSpendingBudgetSecurityRequirement",
                kind: Type::SpendingBudgetSetForCustomerAzureSubscriptions,
                max: 10,
                compliant: budgets == customers,
                partial: share(budgets, 10),
                action_url: "https://aka.ms/partner-center-spending-budget",
                help_url: "https://aka.ms/partner-center-security-requirements-budget",
                extra: json!({
                    "totalCustomersCount": customers,
                    "customersWithSpendBudgetCount": budgets,
                }),
            },
        ];
        Score {
            seed,
            now,
            requirements,
        }
    }

    /// Midnight of "now": when the data was last checked.
    fn today(&self) -> DateTime<Utc> {
        self.now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map_or(self.now, |t| t.and_utc())
    }

    fn points(r: &Requirement) -> i64 {
        if r.compliant { r.max } else { r.partial }
    }

    /// The score out of 100, to two decimals (`14.29`).
    fn current(&self) -> f64 {
        let got: i64 = self.requirements.iter().map(Self::points).sum();
        let max: i64 = self.requirements.iter().map(|r| r.max).sum();
        (got as f64 * 10_000.0 / max as f64).round() / 100.0
    }

    fn compliant_count(&self) -> usize {
        self.requirements.iter().filter(|r| r.compliant).count()
    }

    fn id(&self, stream: u64) -> String {
        derive(self.seed, stream).guid()
    }

    fn entity(&self) -> Value {
        json!({
            "@odata.type": format!("{NS}.partnerSecurityScore"),
            "id": self.id(0x5c0e_0002),
            "currentScore": self.current(),
            "maxScore": 100.0,
            "updatedDateTime": timestamp(self.today()),
            "lastRefreshDateTime": timestamp(self.today()),
        })
    }

    fn requirements(&self) -> Vec<Value> {
        self.requirements
            .iter()
            .map(|r| {
                let status = if r.compliant {
                    ComplianceStatus::Compliant
                } else {
                    ComplianceStatus::NonCompliant
                };
                let mut v = json!({
                    "@odata.type": format!("{NS}.{}", r.odata_type),
                    "id": r.kind.as_str(),
                    "requirementType": r.kind.as_str(),
                    "complianceStatus": status.as_str(),
                    "actionUrl": r.action_url,
                    "helpUrl": r.help_url,
                    "score": Self::points(r),
                    "maxScore": r.max,
                    "state": "active",
                    "updatedDateTime": timestamp(self.today()),
                });
                if let (Value::Object(m), Value::Object(extra)) = (&mut v, &r.extra) {
                    m.extend(extra.clone());
                }
                v
            })
            .collect()
    }

    /// One entry a day for the last 30 days, oldest first; today's is the score now.
    fn history(&self) -> Vec<Value> {
        const DAYS: i64 = 30;
        let total = self.requirements.len();
        let mut g: SplitMix64 = derive(self.seed, 0x5c0e_0003);
        let mut entries: Vec<Value> = (0..DAYS)
            .map(|back| {
                let (score, compliant) = if back == 0 {
                    (self.current(), self.compliant_count())
                } else {
                    let drift = g.below(2_000) as f64 / 100.0 - 10.0;
                    (
                        ((self.current() + drift).clamp(0.0, 100.0) * 100.0).round() / 100.0,
                        (self.compliant_count() + g.below(2) as usize).min(total),
                    )
                };
                let day = self.today() - TimeDelta::days(back);
                json!({
                    "id": self.id(0x5c0e_2000 + day.timestamp() as u64 / 86_400),
                    "createdDateTime": timestamp(day),
                    "score": score,
                    "compliantRequirementsCount": compliant,
                    "totalRequirementsCount": total,
                })
            })
            .collect();
        entries.reverse();
        entries
    }

    fn insights(&self, shared: &Shared) -> Vec<Value> {
        shared
            .generator
            .customer_tenants()
            .enumerate()
            .map(|(i, tenant)| {
                let (admins, others, users, defaults, conditional, legacy) =
                    customer_mfa(self.seed, i);
                json!({
                    "@odata.type": format!("{NS}.customerInsight"),
                    "tenantId": tenant.as_str(),
                    "mfa": {
                        "@odata.type": format!("{NS}.customerMfaInsight"),
                        "compliantAdminsCount": admins,
                        "compliantNonAdminsCount": others,
                        "totalUsersCount": users,
                        "securityDefaultsStatus": policy(defaults),
                        "mfaConditionalAccessPolicyStatus": policy(conditional),
                        "legacyPerUserMfaStatus": policy(legacy),
                    },
                })
            })
            .collect()
    }
}
