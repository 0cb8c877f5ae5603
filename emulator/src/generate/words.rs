//! The vocabulary the generated data is made of: company, reseller and subscription names,
//! regions, resource names, mining pools, users, operations and advisories.

pub(super) const COMPANY_STEMS: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Adatum",
    "Tailspin",
    "Woodgrove",
    "Litware",
    "Proseware",
    "Wingtip",
    "Alpine Ski House",
    "Coho Winery",
    "Fourth Coffee",
    "Lamna",
    "Margie's Travel",
    "Relecloud",
    "Trey Research",
    "VanArsdel",
    "Wide World Importers",
    "Lucerne Publishing",
    "Blue Yonder",
    "Humongous Insurance",
    "Southridge Video",
    "Consolidated Messenger",
    "Bellows College",
    "Munson's Pickles",
    "Nod Publishers",
    "Tasmanian Traders",
    "Graphic Design Institute",
    "City Power & Light",
    "Datum",
    "Best For You Organics",
    "First Up Consultants",
];

pub(super) const COMPANY_SUFFIXES: &[&str] = &[
    "Ltd",
    "Inc.",
    "GmbH",
    "Holdings",
    "Health",
    "Logistics",
    "Studios",
    "Bank",
    "Airlines",
    "Foods",
    "Consulting",
    "Energy",
    "Retail",
    "Labs",
    "Manufacturing",
    "Group",
    "Pharma",
    "Media",
];

pub(super) const RESELLER_NAMES: &[&str] = &[
    "Northwind IT Services",
    "Adventure Works Cloud",
    "Trey Cloud Solutions",
    "Blue Yonder Integrators",
    "Proseware Managed Services",
    "Lamna Digital",
    "Woodgrove Systems",
    "Alpine Networks",
    "Contoso Value Partners",
    "Fabrikam Resellers",
];

pub(super) const SUBSCRIPTION_NAMES: &[&str] = &[
    "Azure plan",
    "Production",
    "Dev/Test",
    "Analytics",
    "Sandbox",
    "Shared services",
    "Disaster recovery",
    "Line of business apps",
    "Data platform",
    "Web hosting",
];

pub(super) const REGIONS: &[&str] = &[
    "eastus",
    "eastus2",
    "westus2",
    "centralus",
    "westeurope",
    "northeurope",
    "uksouth",
    "francecentral",
    "southeastasia",
    "japaneast",
    "australiaeast",
    "brazilsouth",
    "centralindia",
    "koreacentral",
    "southafricanorth",
];

pub(super) const RESOURCE_GROUPS: &[&str] = &[
    "rg-prod-web",
    "rg-prod-data",
    "rg-analytics",
    "rg-dev-01",
    "rg-shared-infra",
    "rg-ml-experiments",
    "rg-build-agents",
    "DefaultResourceGroup-EUS",
    "rg-erp-backend",
    "rg-batch-render",
    "NetworkWatcherRG",
    "rg-legacy-migration",
];

pub(super) const VM_NAMES: &[&str] = &[
    "vm-web-01",
    "vm-web-02",
    "vm-sql-01",
    "gpu-node-7",
    "build-agent-3",
    "jumpbox",
    "vm-app-east",
    "render-worker-12",
    "vm-dc-02",
    "linux-worker-5",
];

pub(super) const GPU_SKUS: &[&str] = &[
    "Standard_NC24ads_A100_v4",
    "Standard_NC6s_v3",
    "Standard_ND96asr_v4",
    "Standard_NV36ads_A10_v5",
    "Standard_HB120rs_v3",
    "Standard_F72s_v2",
    "Standard_NC4as_T4_v3",
];

pub(super) const POOL_DOMAINS: &[&str] = &[
    "xmr.pool.minergate.com",
    "pool.supportxmr.com",
    "xmr-eu1.nanopool.org",
    "rvn.2miners.com",
    "gulf.moneroocean.stream",
    "etc.f2pool.com",
    "pool.hashvault.pro",
];

pub(super) const PARTNER_USERS: &[&str] = &[
    "samanthab",
    "danas",
    "alexw",
    "meganb",
    "lidiah",
    "joniS",
    "nestorw",
    "pradeepg",
];

pub(super) const ARM_OPERATIONS: &[&str] = &[
    "Microsoft.Compute/virtualMachines/extensions/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Compute/virtualMachines/runCommand/action",
    "Microsoft.Resources/deployments/write",
    "Microsoft.Compute/disks/beginGetAccess/action",
    "Microsoft.Network/networkSecurityGroups/securityRules/write",
];

pub(super) const ADVISORIES: &[(&str, &str)] = &[
    (
        "Azure Kubernetes Service",
        "a vulnerability in a container runtime component used by your clusters",
    ),
    (
        "Virtual Machines",
        "credentials for one of your virtual machines that were found exposed in a public code repository",
    ),
    (
        "Storage",
        "a storage account whose shared access signature was observed being used from an anonymising network",
    ),
    (
        "App Service",
        "a web application that is running a framework version with a publicly exploited vulnerability",
    ),
];
