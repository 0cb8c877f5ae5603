//! The directory's resources as Partner Center (reference section 10) and Graph (section 12)
//! send them: only the fields enrichment reads, every one optional but the ids, keys in
//! camelCase or PascalCase (the documentation's examples mix both), unknown keys ignored.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::model::{UnknownValue, open_enum};

open_enum!(graph_only:
    /// A Partner Center subscription's `status` (section 10.5.2).
    SubscriptionStatus, "a subscription status string" {
        /// `none`.
        None => "none";
        /// `active`.
        Active => "active";
        /// `pending`.
        Pending => "pending";
        /// `suspended` (a legacy subscription after its move to the Azure plan, or a
        /// suspended plan).
        Suspended => "suspended";
        /// `expired`.
        Expired => "expired";
        /// `disabled`.
        Disabled => "disabled";
        /// `deleted`.
        Deleted => "deleted";
    }
);

open_enum!(graph_only:
    /// An Azure entitlement's (Azure subscription's) `status` (section 10.5.3; open question
    /// Q35): only `active` counts as running.
    EntitlementStatus, "an Azure entitlement status string" {
        /// `active`: running.
        Active => "active";
        /// `inactive`: cancelled.
        Inactive => "inactive";
    }
);

/// The partner's organization profile (`GET /v1/profiles/organization`, section 10.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrganizationProfile {
    /// `companyName`: the legacy `partnerFriendlyName`.
    #[serde(default, alias = "CompanyName")]
    pub company_name: Option<String>,
    /// `tenantId`: the partner tenant.
    #[serde(default, alias = "TenantId")]
    pub tenant_id: Option<String>,
    /// `domain`.
    #[serde(default, alias = "Domain")]
    pub domain: Option<String>,
    /// `defaultAddress.country`, a two-letter code.
    #[serde(default, alias = "DefaultAddress")]
    pub default_address: Option<Address>,
}

/// An address; only its country is read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Address {
    /// `country`.
    #[serde(default, alias = "Country")]
    pub country: Option<String>,
}

/// A customer (`GET /v1/customers/{id}`, section 10.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Customer {
    /// `id`: the customer's tenant id.
    #[serde(alias = "Id")]
    pub id: String,
    /// `companyProfile`: where the name is.
    #[serde(default, alias = "CompanyProfile")]
    pub company_profile: Option<CompanyProfile>,
    /// `relationshipToPartner` (`reseller`, `advisor`, ...), as sent.
    #[serde(default, alias = "RelationshipToPartner")]
    pub relationship_to_partner: Option<String>,
    /// `associatedPartnerId`: the indirect reseller's tenant id, when created for one.
    #[serde(default, alias = "AssociatedPartnerId")]
    pub associated_partner_id: Option<String>,
}

impl Customer {
    /// `companyProfile.companyName`: the legacy `customerFriendlyName`.
    pub fn company_name(&self) -> Option<&str> {
        self.company_profile.as_ref()?.company_name.as_deref()
    }
}

/// A customer's company profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CompanyProfile {
    /// `companyName`.
    #[serde(default, alias = "CompanyName")]
    pub company_name: Option<String>,
    /// `domain`, e.g. `contoso.onmicrosoft.com`.
    #[serde(default, alias = "Domain")]
    pub domain: Option<String>,
    /// `tenantId`.
    #[serde(default, alias = "TenantId")]
    pub tenant_id: Option<String>,
}

/// An indirect reseller relationship (section 10.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PartnerRelationship {
    /// `id`: the reseller's tenant id (matched against `valueAddedResellerTenantId`, Q33).
    #[serde(alias = "Id")]
    pub id: String,
    /// `name`: the legacy `valueAddedResellerFriendlyName`.
    #[serde(default, alias = "Name")]
    pub name: Option<String>,
    /// `relationshipType`, as sent (`is_indirect_cloud_solution_provider_of`).
    #[serde(default, alias = "RelationshipType")]
    pub relationship_type: Option<String>,
    /// `mpnId` (the resource table's `partnerId`): the reseller's PartnerID.
    #[serde(default, alias = "MpnId", alias = "partnerId", alias = "PartnerId")]
    pub mpn_id: Option<String>,
    /// `state`, as sent (`Active`).
    #[serde(default, alias = "State")]
    pub state: Option<String>,
}

/// The product type of a subscription (`{id, displayName, subType?}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductType {
    /// `id` (`Azure` for the Azure plan, reservations and savings plans alike).
    #[serde(default, alias = "Id")]
    pub id: Option<String>,
    /// `subType`: `Azure` for the Azure plan itself.
    #[serde(default, alias = "SubType")]
    pub sub_type: Option<Box<ProductType>>,
}

/// A Partner Center subscription (section 10.5.2): an Azure plan or a legacy "Microsoft
/// Azure" (MS-AZR-0145P) subscription, among others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Subscription {
    /// `id`: the Partner Center subscription id.
    #[serde(alias = "Id")]
    pub id: String,
    /// `entitlementId`: the Azure subscription id of a legacy subscription.
    #[serde(default, alias = "EntitlementId")]
    pub entitlement_id: Option<String>,
    /// `offerId`.
    #[serde(default, alias = "OfferId")]
    pub offer_id: Option<String>,
    /// `offerName`.
    #[serde(default, alias = "OfferName")]
    pub offer_name: Option<String>,
    /// `friendlyName`.
    #[serde(default, alias = "FriendlyName")]
    pub friendly_name: Option<String>,
    /// `productType`.
    #[serde(default, alias = "ProductType")]
    pub product_type: Option<ProductType>,
    /// `status`.
    #[serde(default, alias = "Status")]
    pub status: Option<SubscriptionStatus>,
    /// `partnerId`: the reseller of record's PartnerID.
    #[serde(default, alias = "PartnerId")]
    pub partner_id: Option<String>,
}

/// The Azure plan product's id, the prefix of an Azure plan's `offerId` (Q49).
const AZURE_PLAN_PRODUCT: &str = "DZH318Z0BPS6";

impl Subscription {
    /// Whether this is an Azure plan (Q49): `offerId` starting with `DZH318Z0BPS6`, or, for
    /// an `offerId` of another shape, `productType.id` and `productType.subType.id` both
    /// `Azure` (reservations and savings plans share the first, not the second).
    ///
    /// ```
    /// use partner_alerts::enrich::Subscription;
    ///
    /// let plan: Subscription = serde_json::from_str(
    ///     r#"{"id": "p1", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6"}"#,
    /// )?;
    /// assert!(plan.is_azure_plan());
    /// let legacy: Subscription = serde_json::from_str(r#"{"id": "s1", "offerId": "MS-AZR-0145P"}"#)?;
    /// assert!(!legacy.is_azure_plan());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn is_azure_plan(&self) -> bool {
        if let Some(offer) = &self.offer_id
            && offer
                .get(..AZURE_PLAN_PRODUCT.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(AZURE_PLAN_PRODUCT))
        {
            return true;
        }
        let azure = |t: Option<&ProductType>| {
            t.and_then(|t| t.id.as_deref())
                .is_some_and(|id| id.eq_ignore_ascii_case("Azure"))
        };
        let product = self.product_type.as_ref();
        azure(product) && azure(product.and_then(|p| p.sub_type.as_deref()))
    }
}

/// An Azure entitlement: one Azure subscription of an Azure plan (section 10.5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AzureEntitlement {
    /// `id`: the Azure subscription id (an alert's `subscriptionId`).
    #[serde(alias = "Id")]
    pub id: String,
    /// `friendlyName`: the Azure subscription's name (the legacy `subscriptionName`, Q34).
    #[serde(default, alias = "FriendlyName")]
    pub friendly_name: Option<String>,
    /// `status`.
    #[serde(default, alias = "Status")]
    pub status: Option<EntitlementStatus>,
    /// `subscriptionId`: the Azure plan it belongs to.
    #[serde(default, alias = "SubscriptionId")]
    pub subscription_id: Option<String>,
}

/// A Graph `contract` (section 12.1): a customer the partner has a partnership with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Contract {
    /// `id`: the partnership id, not the tenant id.
    pub id: String,
    /// `customerId`: the customer's tenant id.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// `displayName`: a copy made when the partnership began, not updated since.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `defaultDomainName`: a copy, as `displayName`.
    #[serde(default)]
    pub default_domain_name: Option<String>,
    /// `contractType` (`ResellerPartner`, ...), as sent.
    #[serde(default)]
    pub contract_type: Option<String>,
}

/// A Graph `delegatedAdminCustomer` (section 12.2): a customer with a GDAP relationship.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DelegatedAdminCustomer {
    /// `id`: the customer's tenant id.
    pub id: String,
    /// `tenantId`: the customer's tenant id (equal to `id`).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `displayName`: the live Entra display name.
    #[serde(default)]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_decode() {
        let c: Customer = serde_json::from_str(
            r#"{"id": "eebd1b55-5360-4438-a11d-5c06918c3014", "commerceId": "x",
                "companyProfile": {"tenantId": "eebd1b55-5360-4438-a11d-5c06918c3014",
                  "domain": "abcdefgh1234.ccsctp.net", "companyName": "1kl as kjk"},
                "relationshipToPartner": "reseller", "allowDelegatedAccess": true}"#,
        )
        .unwrap();
        assert_eq!(c.company_name(), Some("1kl as kjk"));
        let s: Subscription = serde_json::from_str(
            r#"{"id": "A356AC8C-E310-44F4-BF85-C7F29044AF99",
                "entitlementId": "42226ED6-070A-4E0F-B80C-4CDFB3E97AA7",
                "offerId": "MS-AZR-0145P", "offerName": "Microsoft Azure",
                "friendlyName": "Microsoft Azure", "quantity": 1, "status": "active"}"#,
        )
        .unwrap();
        assert_eq!(s.status, Some(SubscriptionStatus::Active));
        assert!(!s.is_azure_plan());
        let e: AzureEntitlement = serde_json::from_str(
            r#"{"id": "899ae6f1-8a74-4d5e-b6c6-e6b5019bbff8", "friendlyName": "Microsoft Azure",
                "status": "Inactive", "subscriptionId": "3f15978e"}"#,
        )
        .unwrap();
        assert_eq!(e.status, Some(EntitlementStatus::Inactive));
        let r: PartnerRelationship = serde_json::from_str(
            r#"{"Id": "484e548c", "Name": "First Up Consultants", "PartnerId": "4847383"}"#,
        )
        .unwrap();
        assert_eq!(r.name.as_deref(), Some("First Up Consultants"));
        assert_eq!(r.mpn_id.as_deref(), Some("4847383"));
    }

    #[test]
    fn azure_plans_by_product_type_but_not_reservations() {
        let plan: Subscription = serde_json::from_str(
            r#"{"id": "p", "offerId": "odd", "productType": {"id": "Azure", "subType": {"id": "Azure"}}}"#,
        )
        .unwrap();
        assert!(plan.is_azure_plan());
        let reservation: Subscription = serde_json::from_str(
            r#"{"id": "r", "offerId": "odd", "productType": {"id": "Azure", "subType": {"id": "ReservedInstances"}}}"#,
        )
        .unwrap();
        assert!(!reservation.is_azure_plan());
        let lower: Subscription =
            serde_json::from_str(r#"{"id": "p", "offerId": "dzh318z0bps6:0001:x"}"#).unwrap();
        assert!(lower.is_azure_plan());
    }

    #[test]
    fn unknown_statuses_are_kept() {
        let s = SubscriptionStatus::from("frozen");
        assert_eq!(s.as_str(), "frozen");
        assert_eq!(
            SubscriptionStatus::from("Suspended"),
            SubscriptionStatus::Suspended
        );
    }
}
