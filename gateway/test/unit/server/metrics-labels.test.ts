import { replicaLabels } from '../../../src/config/replica';
import { brokerInfo, labelEverySeries } from '../../../src/server/metrics';
import { replicaResource } from '../../../src/telemetry/setup';

describe('labelEverySeries', () => {
  test.each([
    ['a sample without labels', 'rego_broker_up 1', 'rego_broker_up{replica="2"} 1'],
    ['a sample with labels', 'rego_broker_decisions_total{result="allow",code="ALLOWED"} 3', 'rego_broker_decisions_total{replica="2",result="allow",code="ALLOWED"} 3'],
    ['empty braces', 'x{} 0', 'x{replica="2"} 0'],
    ['a timestamp', 'x 1 1700000000000', 'x{replica="2"} 1 1700000000000'],
    ['a label value holding braces', 'x{rev="a}b{"} 1', 'x{replica="2",rev="a}b{"} 1'],
    ['comments', '# HELP x Something {with} braces.\n# TYPE x gauge', '# HELP x Something {with} braces.\n# TYPE x gauge'],
    ['several lines and the final newline', 'a 1\nb{c="d"} 2\n', 'a{replica="2"} 1\nb{replica="2",c="d"} 2\n'],
  ])('%s', (_name, text, expected) => {
    expect(labelEverySeries(text, { replica: '2' })).toBe(expected);
  });

  test('no labels leaves the text as it is', () => {
    expect(labelEverySeries('a 1\n', {})).toBe('a 1\n');
  });
});

describe('replica identity as labels and resource', () => {
  test.each([
    [null, {}, {}],
    [{ deployment: 8849, replica: 1 }, { deployment: '8849', replica: '1' }, { 'service.instance.id': '8849-1', 'rego_broker.replica': 1, 'rego_broker.deployment': 8849 }],
    [{ deployment: null, replica: 3 }, { replica: '3' }, { 'service.instance.id': '3', 'rego_broker.replica': 3 }],
  ])('%j', (identity, labels, resource) => {
    expect(replicaLabels(identity)).toEqual(labels);
    expect(replicaResource(identity)).toEqual(resource);
  });

  test('rego_broker_info', () => {
    expect(brokerInfo('1.2.3', { deployment: '8849', replica: '1' })).toContain('rego_broker_info{version="1.2.3",deployment="8849",replica="1"} 1\n');
    expect(brokerInfo('1"2', {})).toContain('rego_broker_info{version="1\\"2"} 1\n');
  });
});
