// Message table for apiextensions.k8s.io/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const APIEXT: MessageTable = {
  'apiext.CustomResourceColumnDefinition':
    'name=1:s! type=2:s! format=3:s description=4:s priority=5:i32 jsonPath=6:s!',
  'apiext.CustomResourceConversion': 'strategy=1:s! webhook=2:*apiext.WebhookConversion',
  'apiext.CustomResourceDefinition':
    'metadata=1:meta.ObjectMeta spec=2:apiext.CustomResourceDefinitionSpec! status=3:apiext.CustomResourceDefinitionStatus',
  'apiext.CustomResourceDefinitionCondition':
    'type=1:s! status=2:s! lastTransitionTime=3:time reason=4:s message=5:s observedGeneration=6:i64',
  'apiext.CustomResourceDefinitionNames':
    'plural=1:s! singular=2:s shortNames=3:[]s kind=4:s! listKind=5:s categories=6:[]s',
  'apiext.CustomResourceDefinitionSpec':
    'group=1:s! names=3:apiext.CustomResourceDefinitionNames! scope=4:s! versions=7:[]apiext.CustomResourceDefinitionVersion! conversion=9:*apiext.CustomResourceConversion preserveUnknownFields=10:b',
  'apiext.CustomResourceDefinitionStatus':
    'conditions=1:[]apiext.CustomResourceDefinitionCondition! acceptedNames=2:apiext.CustomResourceDefinitionNames! storedVersions=3:[]s! observedGeneration=4:i64',
  'apiext.CustomResourceDefinitionVersion':
    'name=1:s! served=2:b! storage=3:b! deprecated=7:b deprecationWarning=8:*s schema=4:*apiext.CustomResourceValidation subresources=5:*apiext.CustomResourceSubresources additionalPrinterColumns=6:[]apiext.CustomResourceColumnDefinition selectableFields=9:[]apiext.SelectableField',
  'apiext.CustomResourceSubresourceScale':
    'specReplicasPath=1:s! statusReplicasPath=2:s! labelSelectorPath=3:*s',
  'apiext.CustomResourceSubresourceStatus': '',
  'apiext.CustomResourceSubresources':
    'status=1:*apiext.CustomResourceSubresourceStatus scale=2:*apiext.CustomResourceSubresourceScale',
  'apiext.CustomResourceValidation': 'openAPIV3Schema=1:*apiext.JSONSchemaProps',
  'apiext.ExternalDocumentation': 'description=1:s url=2:s',
  'apiext.JSONSchemaProps':
    'id=1:s $schema=2:s $ref=3:*s description=4:s type=5:s format=6:s title=7:s default=8:*raw maximum=9:*f64 exclusiveMaximum=10:b minimum=11:*f64 exclusiveMinimum=12:b maxLength=13:*i64 minLength=14:*i64 pattern=15:s maxItems=16:*i64 minItems=17:*i64 uniqueItems=18:b multipleOf=19:*f64 enum=20:[]raw maxProperties=21:*i64 minProperties=22:*i64 required=23:[]s items=24:*apiext.JSONSchemaPropsOrArray allOf=25:[]apiext.JSONSchemaProps oneOf=26:[]apiext.JSONSchemaProps anyOf=27:[]apiext.JSONSchemaProps not=28:*apiext.JSONSchemaProps properties=29:{}apiext.JSONSchemaProps additionalProperties=30:*apiext.JSONSchemaPropsOrBool patternProperties=31:{}apiext.JSONSchemaProps dependencies=32:{}apiext.JSONSchemaPropsOrStringArray additionalItems=33:*apiext.JSONSchemaPropsOrBool definitions=34:{}apiext.JSONSchemaProps externalDocs=35:*apiext.ExternalDocumentation example=36:*raw nullable=37:b x-kubernetes-preserve-unknown-fields=38:*b x-kubernetes-embedded-resource=39:b x-kubernetes-int-or-string=40:b x-kubernetes-list-map-keys=41:[]s x-kubernetes-list-type=42:*s x-kubernetes-map-type=43:*s x-kubernetes-validations=44:[]apiext.ValidationRule',
  'apiext.JSONSchemaPropsOrArray': '=1:*apiext.JSONSchemaProps! =2:[]apiext.JSONSchemaProps!',
  'apiext.JSONSchemaPropsOrBool': '=1:b! =2:*apiext.JSONSchemaProps!',
  'apiext.JSONSchemaPropsOrStringArray': '=1:*apiext.JSONSchemaProps! =2:[]s!',
  'apiext.SelectableField': 'jsonPath=1:s!',
  'apiext.ServiceReference': 'namespace=1:s! name=2:s! path=3:*s port=4:*i32',
  'apiext.ValidationRule':
    'rule=1:s! message=2:s messageExpression=3:s reason=4:*s fieldPath=5:s optionalOldSelf=6:*b',
  'apiext.WebhookClientConfig': 'url=3:*s service=1:*apiext.ServiceReference caBundle=2:by',
  'apiext.WebhookConversion': 'clientConfig=2:*apiext.WebhookClientConfig conversionReviewVersions=3:[]s!',
};
