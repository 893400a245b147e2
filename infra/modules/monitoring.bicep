// Log Analytics + workspace-based Application Insights (Entra auth only), and the alerts an operator
// needs: dead-lettered messages, a growing backlog, and failed function invocations.
param logsName string
param insightsName string
param location string
param tags object
param principalId string
param serviceBusNamespaceId string
param queueNames array
@description('E-mail for alerts; empty = alerts without notification.')
param alertEmail string

var metricsPublisherRole = '3913510d-42f4-4e42-8a64-420c390055eb'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, principalId, metricsPublisherRole)
  scope: insights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisherRole)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: 'ag-${insightsName}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'dvsync'
    enabled: true
    emailReceivers: [
      { name: 'operator', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var actions = empty(alertEmail) ? [] : [ { actionGroupId: actionGroup.id } ]

// DeadletteredMessages supports Average/Minimum/Maximum only (not Total).
resource deadLetterAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [for queue in queueNames: {
  name: 'dead-letters-${queue}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Messages are in the dead-letter queue of ${queue}: inspect them with "dvsync deadletters".'
    severity: 2
    enabled: true
    scopes: [ serviceBusNamespaceId ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: false
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'deadlettered'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [ { name: 'EntityName', operator: 'Include', values: [ queue ] } ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    actions: actions
  }
}]

resource backlogAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [for queue in queueNames: {
  name: 'backlog-${queue}'
  location: 'global'
  tags: tags
  properties: {
    description: 'More than 50,000 active messages in ${queue} for 30 minutes: the workers are not keeping up (throttled, failing or stopped).'
    severity: 3
    enabled: true
    scopes: [ serviceBusNamespaceId ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT30M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'backlog'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'ActiveMessages'
          dimensions: [ { name: 'EntityName', operator: 'Include', values: [ queue ] } ]
          operator: 'GreaterThan'
          threshold: 50000
          timeAggregation: 'Minimum'
        }
      ]
    }
    actions: actions
  }
}]

resource failedInvocations 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'failed-invocations-${insightsName}'
  location: location
  tags: tags
  properties: {
    description: 'Function invocations failing (transient failures are retried by Service Bus; a steady rate means something is wrong).'
    severity: 2
    enabled: true
    scopes: [ insights.id ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'requests | where success == false | summarize failures = count() by operation_Name'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          dimensions: [ { name: 'operation_Name', operator: 'Include', values: [ '*' ] } ]
          operator: 'GreaterThan'
          threshold: 10
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    actions: { actionGroups: empty(alertEmail) ? [] : [ actionGroup.id ] }
  }
}

output connectionString string = insights.properties.ConnectionString
