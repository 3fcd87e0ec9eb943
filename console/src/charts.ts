// The one ECharts build of the console, tree-shaken: only the chart types and
// components the pages use, the SVG renderer, and the aria component (each
// chart gets a Chinese aria-label describing its data). Loaded lazily by Chart.vue.
import * as echarts from 'echarts/core';
import { LineChart, BarChart, FunnelChart, HeatmapChart, PieChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  TitleComponent,
  VisualMapComponent,
  DatasetComponent,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([
  LineChart, BarChart, FunnelChart, HeatmapChart, PieChart,
  AriaComponent, GridComponent, LegendComponent, TooltipComponent, TitleComponent,
  VisualMapComponent, DatasetComponent,
  SVGRenderer,
]);

export { echarts };
