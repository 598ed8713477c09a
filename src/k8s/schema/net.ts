// Message table for networking.k8s.io/v1 in our format (see types.ts); field numbers checked against upstream generated.proto.
import type { MessageTable } from './types.js';

export const NET: MessageTable = {
  'net.HTTPIngressPath': 'path=1:s pathType=3:*s! backend=2:net.IngressBackend!',
  'net.HTTPIngressRuleValue': 'paths=1:[]net.HTTPIngressPath!',
  'net.Ingress': 'metadata=1:meta.ObjectMeta spec=2:net.IngressSpec status=3:net.IngressStatus',
  'net.IngressBackend': 'service=4:*net.IngressServiceBackend resource=3:*core.TypedLocalObjectReference',
  'net.IngressLoadBalancerIngress': 'ip=1:s hostname=2:s ports=4:[]net.IngressPortStatus',
  'net.IngressLoadBalancerStatus': 'ingress=1:[]net.IngressLoadBalancerIngress',
  'net.IngressPortStatus': 'port=1:i32! protocol=2:s! error=3:*s',
  'net.IngressRule': 'host=1:s ingressRuleValue=2:net.IngressRuleValue^',
  'net.IngressRuleValue': 'http=1:*net.HTTPIngressRuleValue',
  'net.IngressServiceBackend': 'name=1:s! port=2:net.ServiceBackendPort',
  'net.IngressSpec':
    'ingressClassName=4:*s defaultBackend=1:*net.IngressBackend tls=2:[]net.IngressTLS rules=3:[]net.IngressRule',
  'net.IngressStatus': 'loadBalancer=1:net.IngressLoadBalancerStatus',
  'net.IngressTLS': 'hosts=1:[]s secretName=2:s',
  'net.ServiceBackendPort': 'name=1:s number=2:i32',
};
