import { IWidget, Row, TextWidget } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * A titled row of dashboard widgets built when the dashboard is synthesized, not when it is
 * declared. Constructs register queues, functions and workflows with the monitoring construct
 * one by one, after the dashboard exists; rendering at synthesis lets each graph hold all of
 * them, and leaves out a section with nothing in it (no "API proxy" row when there is no proxy).
 *
 * Add each section to the dashboard in its own `addWidgets(section)` call: a call with several
 * widgets lays them out in a `Row` immediately, which would render the section too early.
 */
export class DashboardSection implements IWidget {
  private row?: Row;

  /** `render` returns the section's widgets, none when it has nothing to show. */
  constructor(
    private readonly title: string,
    private readonly render: () => readonly IWidget[],
  ) {}

  get width(): number {
    return this.layout().width;
  }

  get height(): number {
    return this.layout().height;
  }

  position(x: number, y: number): void {
    this.layout().position(x, y);
  }

  toJson(): unknown[] {
    return this.layout().toJson();
  }

  /** Rendered once, at synthesis: every registration has happened by then. */
  private layout(): Row {
    if (!this.row) {
      const widgets = this.render();
      this.row = widgets.length === 0 ? new Row() : new Row(new TextWidget({ markdown: `### ${this.title}`, width: 24, height: 1 }), ...widgets);
    }
    return this.row;
  }
}
