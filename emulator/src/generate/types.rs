//! The alert types generated: how often each comes, its title and its Azure service.

use partner_alerts::AlertType;

/// The static description of one alert type.
pub(super) struct TypeSpec {
    pub(super) alert_type: AlertType,
    pub(super) weight: u32,
    pub(super) title: &'static str,
    pub(super) service: &'static str,
}

pub(super) fn type_specs() -> [TypeSpec; 13] {
    [
        TypeSpec {
            alert_type: AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS,
            weight: 20,
            title: "Action Required: Virtual machine connecting to crypto currency mining pool Detected",
            service: "Virtual Machines",
        },
        TypeSpec {
            alert_type: AlertType::CRYPTO_MINING,
            weight: 10,
            title: "Action Required: Crypto mining activity detected on an Azure resource",
            service: "Virtual Machines",
        },
        TypeSpec {
            alert_type: AlertType::VM_ANOMALOUS_DEPLOYMENT,
            weight: 12,
            title: "Action Required: Anomalous virtual machine deployment detected",
            service: "Virtual Machines",
        },
        TypeSpec {
            alert_type: AlertType::VIRTUAL_MACHINE_DEPLOYMENT_ANOMALY,
            weight: 7,
            title: "Action Required: Unusual virtual machine deployment activity detected",
            service: "Virtual Machines",
        },
        TypeSpec {
            alert_type: AlertType::USAGE_ANOMALY_DETECTION,
            weight: 8,
            title: "Action Required: Anomalous usage detected on Azure subscription",
            service: "Azure Subscription",
        },
        TypeSpec {
            alert_type: AlertType::ARM_SUSPICIOUS_OPERATIONS,
            weight: 8,
            title: "Action Required: Suspicious Azure Resource Manager operations detected",
            service: "Azure Resource Manager",
        },
        TypeSpec {
            alert_type: AlertType::ARM_ANOMALOUS_RESOURCE_CONSUMPTION,
            weight: 7,
            title: "Action Required: Anomalous resource consumption detected by Azure Resource Manager",
            service: "Azure Resource Manager",
        },
        TypeSpec {
            alert_type: AlertType::MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY,
            weight: 5,
            title: "Action Required: Virtual machine scale sets deployed across multiple regions",
            service: "Virtual Machine Scale Sets",
        },
        TypeSpec {
            alert_type: AlertType::AZURE_BATCH_ANOMALOUS_DEPLOYMENT,
            weight: 5,
            title: "Action Required: Anomalous Azure Batch deployment detected",
            service: "Azure Batch",
        },
        TypeSpec {
            alert_type: AlertType::AZURE_CONTAINER_INSTANCES_ANOMALOUS_DEPLOYMENT,
            weight: 5,
            title: "Action Required: Anomalous Azure Container Instances deployment detected",
            service: "Container Instances",
        },
        TypeSpec {
            alert_type: AlertType::AZURE_MACHINE_LEARNING_ANOMALOUS_DEPLOYMENT,
            weight: 5,
            title: "Action Required: Anomalous Azure Machine Learning compute deployment detected",
            service: "Azure Machine Learning",
        },
        TypeSpec {
            alert_type: AlertType::MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY,
            weight: 4,
            title: "Action Required: Machine Learning usage across multiple regions detected",
            service: "Azure Machine Learning",
        },
        TypeSpec {
            alert_type: AlertType::SERVICE_HEALTH_SECURITY_ADVISORY,
            weight: 3,
            title: "Security advisory: action recommended for resources in your subscription",
            service: "Service Health",
        },
    ]
}

/// The Azure service name Partner Center shows for an alert type (`serviceName`).
pub(crate) fn service_name(alert_type: &AlertType) -> &'static str {
    type_specs()
        .iter()
        .find(|s| s.alert_type == *alert_type)
        .map_or("Azure", |s| s.service)
}
